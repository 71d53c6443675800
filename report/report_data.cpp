// See report_data.h: the training log reader.
#include "report/report_data.h"

#include <cstdlib>
#include <fstream>

#include "base/error.h"

namespace namk {

std::vector<EpochRow> read_training_log(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, "", "a training_log.csv that can be read", "no readable file");
  std::string line;
  std::getline(in, line);
  if (line.rfind("epoch,train_loss,validation_esr,best_validation_esr,lr,elapsed_s,samples_per_s", 0) != 0)
    throw input_error(path, "line 1", "the header train writes (epoch,train_loss,validation_esr,...)",
                      "\"" + line.substr(0, 80) + "\"");
  std::vector<EpochRow> rows;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    double v[7];
    const char* p = line.c_str();
    for (int c = 0; c < 7; ++c) {
      char* end = nullptr;
      v[c] = std::strtod(p, &end);
      if (end == p || (*end != ',' && *end != '\0'))
        throw input_error(path, "line " + std::to_string(number) + ", column " + std::to_string(c + 1),
                          "a number", "\"" + line.substr(0, 80) + "\"");
      p = *end ? end + 1 : end;
    }
    rows.push_back({static_cast<long long>(v[0]), v[1], v[2], v[3], v[4], v[5], v[6]});
  }
  return rows;
}

}  // namespace namk
