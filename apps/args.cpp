// See args.h.
#include "apps/args.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/error.h"

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

long long Args::get_int(const std::string& name, long long fallback, long long min, long long max) const {
  auto value = get(name);
  if (!value) return fallback;
  const std::string& text = *value;
  const std::string expected = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  auto fail = [&](const std::string& why) {
    return UsageError("nam-knobs " + command_ + ": --" + name + ": expected " + expected + ", found '" +
                      text + "'" + why);
  };
  // strtoll alone would skip spaces, accept "+", and clamp overflow to LLONG_MAX with only errno
  // to tell: digits only, an optional leading minus, errno checked.
  const size_t digits = !text.empty() && text[0] == '-' ? 1 : 0;
  if (text.size() == digits || text.find_first_not_of("0123456789", digits) != std::string::npos)
    throw fail("");
  errno = 0;
  char* end = nullptr;
  const long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE) throw fail(" (too large)");
  if (parsed < min || parsed > max) throw fail("");
  return parsed;
}

double Args::get_double(const std::string& name, double fallback, double min, double max) const {
  auto value = get(name);
  if (!value) return fallback;
  const std::string& text = *value;
  auto fail = [&] {
    char range[80];
    std::snprintf(range, sizeof range, "a number in [%g, %g]", min, max);
    return UsageError("nam-knobs " + command_ + ": --" + name + ": expected " + range + ", found '" +
                      text + "'");
  };
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) throw fail();
  errno = 0;
  char* end = nullptr;
  const double parsed = std::strtod(text.c_str(), &end);
  // The range test is false for NaN too; strtod's "inf" and overflow fail it as well.
  if (*end != '\0' || errno == ERANGE || !(parsed >= min && parsed <= max)) throw fail();
  return parsed;
}

std::string usage(const std::string& command, const std::vector<OptionSpec>& specs) {
  std::string text = "usage: nam-knobs " + command + " [options]\n";
  for (const auto& s : specs)
    text += "  --" + s.name + (s.takes_value ? " VALUE" : "") + "\n      " + s.help + "\n";
  return text;
}

}  // namespace namk::app
