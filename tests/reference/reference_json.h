// Strict JSON access for the reference .nam evaluator. Every object is read through a JsonObject
// that remembers the keys asked for; finish() refuses any other key, naming it, its path and the
// file, so an option the reference does not know can never be silently ignored. Numbers are kept
// as their decimal text and converted with strtod (the correctly rounded double), independent of
// the runtime's JSON reader. RapidJSON stays inside reference_json.cpp.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace namk::reference {

struct JsonText;  // the parsed document; defined in reference_json.cpp

class JsonObject;

// A view of one value of a parsed document; keeps the document alive.
class JsonValue {
 public:
  static JsonValue parse(const std::string& text, const std::string& file);

  const std::string& file() const;
  const std::string& path() const { return path_; }

  bool is_null() const;
  bool is_bool() const;
  bool is_number() const;
  bool is_string() const;
  bool is_array() const;
  bool is_object() const;

  double number() const;
  long integer() const;  // a number with no fractional part that fits a long
  bool boolean() const;
  std::string string() const;
  std::vector<JsonValue> items() const;
  JsonObject object() const;

  // Throws namk::InputError: "<file>: <path>: expected <expected>, found <what this is>".
  [[noreturn]] void fail(const std::string& expected) const;

 private:
  JsonValue(std::shared_ptr<const JsonText> doc, const void* value, const void* text,
            std::string path)
      : doc_(std::move(doc)), value_(value), text_(text), path_(std::move(path)) {}
  std::string describe() const;
  friend class JsonObject;

  std::shared_ptr<const JsonText> doc_;
  const void* value_;  // a rapidjson value inside doc_'s typed parse
  const void* text_;   // the same value in its numbers-as-text parse
  std::string path_;
};

// An object whose keys are consumed as they are read.
class JsonObject {
 public:
  explicit JsonObject(JsonValue value) : value_(std::move(value)) {}
  const JsonValue& value() const { return value_; }
  bool has(const std::string& key) const;
  JsonValue get(const std::string& key);                  // required
  std::optional<JsonValue> find(const std::string& key);  // absent: nullopt
  // Marks a key as known without reading it (descriptive keys that do not change the output).
  void ignore(const std::string& key) { used_.insert(key); }
  // Refuses every key not read, found or ignored.
  void finish() const;

 private:
  JsonValue value_;
  std::set<std::string> used_;
};

}  // namespace namk::reference
