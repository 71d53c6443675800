// See args.h.
#include "apps/args.h"

#include <cstdlib>

#include "core/error.h"

namespace namk::app {

Args::Args(const std::string& command, const std::vector<std::string>& argv,
           const std::vector<OptionSpec>& specs)
    : command_(command) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (word == "--help" || word == "-h") throw HelpRequested{usage(command, specs)};
    if (word.rfind("--", 0) != 0)
      throw UsageError("nam-knobs " + command + ": unexpected argument '" + word + "'\n" +
                       usage(command, specs));
    std::string name = word.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (!spec)
      throw UsageError("nam-knobs " + command + ": unknown option --" + name + "\n" +
                       usage(command, specs));
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= argv.size())
        throw UsageError("nam-knobs " + command + ": option --" + name + " needs a value");
      value = argv[++i];
    }
    values_[name].push_back(value);
  }
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::string Args::require(const std::string& name) const {
  auto value = get(name);
  if (!value) throw UsageError("nam-knobs " + command_ + ": missing required option --" + name);
  return *value;
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

long Args::get_int(const std::string& name, long fallback) const {
  auto value = get(name);
  if (!value) return fallback;
  char* end = nullptr;
  long parsed = std::strtol(value->c_str(), &end, 10);
  if (value->empty() || *end != '\0')
    throw UsageError("nam-knobs " + command_ + ": --" + name + ": expected an integer, found '" +
                     *value + "'");
  return parsed;
}

double Args::get_double(const std::string& name, double fallback) const {
  auto value = get(name);
  if (!value) return fallback;
  char* end = nullptr;
  double parsed = std::strtod(value->c_str(), &end);
  if (value->empty() || *end != '\0')
    throw UsageError("nam-knobs " + command_ + ": --" + name + ": expected a number, found '" +
                     *value + "'");
  return parsed;
}

std::string usage(const std::string& command, const std::vector<OptionSpec>& specs) {
  std::string text = "usage: nam-knobs " + command + " [options]\n";
  for (const auto& s : specs)
    text += "  --" + s.name + (s.takes_value ? " VALUE" : "") + "\n      " + s.help + "\n";
  return text;
}

}  // namespace namk::app
