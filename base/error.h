// The one exception type family of nam-knobs. Every message names where (file, field), what was
// expected and what was found, so a user can fix the input without reading our source.
// The CLI catches namk::Error, prints what(), and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace namk {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad user input: audio, dataset JSON, configs, model files.
class InputError : public Error {
 public:
  using Error::Error;
};

// A caller broke an API contract (shapes that do not match, use before prepare()).
class UsageError : public Error {
 public:
  using Error::Error;
};

// "<file>: <field>: expected <expected>, found <found>". Empty parts are left out, so the same
// helper serves errors that have no field (a missing file) or no "found" (a parse failure).
std::string describe_error(const std::string& file, const std::string& field,
                           const std::string& expected, const std::string& found);

// A number as messages and file names show it: printf's %g (shortest of fixed and exponent form,
// six significant digits), so "2.5" stays "2.5" and 1e-07 stays short.
std::string format_number(double x);

inline InputError input_error(const std::string& file, const std::string& field,
                              const std::string& expected, const std::string& found) {
  return InputError(describe_error(file, field, expected, found));
}

}  // namespace namk
