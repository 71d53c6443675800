// See text_file.h.
#include "base/text_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace namk {

std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (!in || !std::filesystem::is_regular_file(path, ec)) throw input_error(path, "", what, "no such file (or it cannot be read)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw input_error(path, "", what, "a read error part way through");
  return text.str();
}

}  // namespace namk
