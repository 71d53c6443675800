// Command-line parsing for the nam-knobs subcommands: `--name value`, repeatable options and
// boolean flags. Unknown options are errors that list what the command accepts, so a typo never
// silently falls back to a default.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace namk::app {

// Thrown by Args when the user asks for --help; main prints the text and exits 0.
struct HelpRequested {
  std::string text;
};

struct OptionSpec {
  std::string name;   // without the leading "--"
  bool takes_value;   // false: a boolean flag such as --quiet
  std::string help;
};

class Args {
 public:
  // Throws namk::UsageError for an unknown option or a missing value.
  Args(const std::string& command, const std::vector<std::string>& argv,
       const std::vector<OptionSpec>& specs);

  bool has(const std::string& name) const;
  std::optional<std::string> get(const std::string& name) const;  // last occurrence
  std::string require(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;  // every occurrence, in order
  // Strict numbers: the whole value must parse, overflow is an error, and the result must lie in
  // [min, max]; the message names the option, the range and the text found.
  long long get_int(const std::string& name, long long fallback, long long min, long long max) const;
  double get_double(const std::string& name, double fallback, double min, double max) const;

 private:
  std::string command_;
  std::map<std::string, std::vector<std::string>> values_;
};

std::string usage(const std::string& command, const std::vector<OptionSpec>& specs);

}  // namespace namk::app
