// The one checked-JSON reader of nam-knobs (dataset files, data and model configs). Parse errors
// give the file, line and column; every typed getter names the file, the field path
// ("entries[3].knob_level"), what was expected and what was found, so users fix the input.
// Read-only and deliberately small: no writer beyond json_quote(), json_number() and text() (which
// keep parts of a file verbatim), no schema language, and
// RapidJSON stays inside json.cpp.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace namk {

struct JsonDocument;  // the parsed document; defined in json.cpp

// A view of one value inside a parsed document. Cheap to copy; keeps the document alive.
class Json {
 public:
  // `name` is what error messages call the source (a file path, or e.g. "<--data>").
  static Json parse_file(const std::string& path);
  static Json parse_string(const std::string& text, const std::string& name);

  const std::string& file() const;
  const std::string& path() const { return path_; }  // empty at the top level

  bool is_null() const;
  bool is_bool() const;
  bool is_number() const;
  bool is_string() const;
  bool is_array() const;
  bool is_object() const;
  std::string describe()
      const;  // for "found ...": `the string "abc"`, `an object`, `the number 2.5`

  // Typed getters: throw InputError when the value has another type.
  double number() const;
  long long integer() const;  // a number with no fractional part
  bool boolean() const;
  std::string string() const;
  std::vector<Json> items() const;  // the elements of an array

  // Object access. operator[] requires the field; find() returns nullopt when it is absent.
  bool has(const std::string& key) const;
  Json operator[](const std::string& key) const;
  std::optional<Json> find(const std::string& key) const;
  std::vector<std::string> keys() const;  // in file order
  // This value as compact JSON text, numbers as json_number() writes them: what a writer copies
  // to keep a part of a file it does not interpret (a model's unknown metadata) as it was.
  std::string text() const;
  // Unknown (or repeated) keys are errors whose message lists the allowed ones.
  void allow_only(std::initializer_list<const char*> allowed) const;

  // Optional fields with defaults (the field, when present, must have the right type).
  double number_or(const std::string& key, double fallback) const;
  long long integer_or(const std::string& key, long long fallback) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  std::string string_or(const std::string& key, const std::string& fallback) const;

  // An error about this value: "<file>: <path>: expected <expected>, found <found or describe()>".
  InputError error(const std::string& expected) const;
  InputError error(const std::string& expected, const std::string& found) const;

 private:
  Json(std::shared_ptr<const JsonDocument> doc, const void* node, std::string path)
      : doc_(std::move(doc)), node_(node), path_(std::move(path)) {}
  std::string where() const;  // the path, or "top level"
  void require_object() const;

  std::shared_ptr<const JsonDocument> doc_;
  const void* node_;  // a rapidjson::Value inside *doc_
  std::string path_;
};

// `text` as a JSON string literal, quotes included (for the few files we write by hand).
std::string json_quote(const std::string& text);
// x in the shortest form that reads back as the same double ("0.1", "-26.383899688720703").
std::string json_number(double x);

}  // namespace namk
