// The text is parsed twice, once typed and once with numbers kept as their text
// (kParseNumbersAsStringsFlag), and a value walks both trees together: the typed one says what a
// value is, the text one gives a number's digits to strtod. RapidJSON's own double conversion is
// either off by a few units in the last place (normal mode) or mishandles long zeros (full
// precision); strtod gives the correctly rounded double that NAM's reader also starts from.
#include "reference_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <climits>
#include <cmath>
#include <cstdlib>

#include "base/error.h"

namespace namk::reference {

struct JsonText {
  std::string file;
  rapidjson::Document typed, text;
};

namespace {

const rapidjson::Value& as_value(const void* p) { return *static_cast<const rapidjson::Value*>(p); }

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

}  // namespace

JsonValue JsonValue::parse(const std::string& text, const std::string& file) {
  auto doc = std::make_shared<JsonText>();
  doc->file = file;
  doc->typed.Parse(text.c_str(), text.size());
  if (doc->typed.HasParseError())
    throw input_error(file, "offset " + std::to_string(doc->typed.GetErrorOffset()), "valid JSON",
                      rapidjson::GetParseError_En(doc->typed.GetParseError()));
  doc->text.Parse<rapidjson::kParseNumbersAsStringsFlag>(text.c_str(), text.size());
  const void* typed = &doc->typed;
  const void* as_text = &doc->text;
  return JsonValue(std::move(doc), typed, as_text, "");
}

const std::string& JsonValue::file() const { return doc_->file; }

bool JsonValue::is_null() const { return as_value(value_).IsNull(); }
bool JsonValue::is_bool() const { return as_value(value_).IsBool(); }
bool JsonValue::is_number() const { return as_value(value_).IsNumber(); }
bool JsonValue::is_string() const { return as_value(value_).IsString(); }
bool JsonValue::is_array() const { return as_value(value_).IsArray(); }
bool JsonValue::is_object() const { return as_value(value_).IsObject(); }

std::string JsonValue::describe() const {
  const rapidjson::Value& v = as_value(value_);
  if (v.IsNull()) return "null";
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsArray()) return "an array of " + std::to_string(v.Size());
  if (v.IsObject()) return "an object";
  if (v.IsNumber()) return "the number " + std::string(as_value(text_).GetString());
  return "the string \"" + std::string(v.GetString()) + "\"";
}

void JsonValue::fail(const std::string& expected) const {
  throw input_error(file(), path_.empty() ? "(top level)" : path_, expected, describe());
}

double JsonValue::number() const {
  if (!is_number()) fail("a number");
  const double x = std::strtod(as_value(text_).GetString(), nullptr);
  if (!std::isfinite(x)) fail("a finite number");
  return x;
}

long JsonValue::integer() const {
  if (!is_number()) fail("an integer");
  const double x = number();
  if (x != std::floor(x) || std::fabs(x) > 1e15) fail("an integer");
  return static_cast<long>(x);
}

bool JsonValue::boolean() const {
  if (!is_bool()) fail("true or false");
  return as_value(value_).GetBool();
}

std::string JsonValue::string() const {
  if (!is_string()) fail("a string");
  return as_value(value_).GetString();
}

std::vector<JsonValue> JsonValue::items() const {
  if (!is_array()) fail("an array");
  std::vector<JsonValue> out;
  const rapidjson::Value& v = as_value(value_);
  const rapidjson::Value& t = as_value(text_);
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
    out.push_back(JsonValue(doc_, &v[i], &t[i], path_ + "[" + std::to_string(i) + "]"));
  return out;
}

JsonObject JsonValue::object() const {
  if (!is_object()) fail("an object");
  return JsonObject(*this);
}

bool JsonObject::has(const std::string& key) const {
  return as_value(value_.value_).HasMember(key.c_str());
}

std::optional<JsonValue> JsonObject::find(const std::string& key) {
  used_.insert(key);
  const rapidjson::Value& v = as_value(value_.value_);
  const auto it = v.FindMember(key.c_str());
  if (it == v.MemberEnd()) return std::nullopt;
  const rapidjson::Value& t = as_value(value_.text_);
  return JsonValue(value_.doc_, &it->value, &t.FindMember(key.c_str())->value,
                   child_path(value_.path_, key));
}

JsonValue JsonObject::get(const std::string& key) {
  std::optional<JsonValue> v = find(key);
  if (!v)
    throw input_error(value_.file(), child_path(value_.path_, key), "a value (the key is required)",
                      "nothing");
  return *v;
}

void JsonObject::finish() const {
  const rapidjson::Value& v = as_value(value_.value_);
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string key = it->name.GetString();
    if (used_.count(key)) continue;
    throw input_error(value_.file(), child_path(value_.path_, key),
                      "a key this reference evaluator knows",
                      "an unknown key (refused, not ignored)");
  }
}

}  // namespace namk::reference
