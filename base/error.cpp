// Formats the messages of base/error.h in one place so every error reads the same way.
#include "base/error.h"

#include <cstdio>

namespace namk {

std::string describe_error(const std::string& file, const std::string& field,
                           const std::string& expected, const std::string& found) {
  std::string message;
  if (!file.empty()) message += file;
  if (!field.empty()) message += (message.empty() ? "" : ": ") + field;
  if (!expected.empty()) message += (message.empty() ? "expected " : ": expected ") + expected;
  if (!found.empty()) message += (expected.empty() ? (message.empty() ? "found " : ": found ") : ", found ") + found;
  return message;
}

std::string format_number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

}  // namespace namk
