// See json.h. RapidJSON is used in its in-situ-free, full-precision mode; positions of parse
// errors come back as byte offsets and are turned into 1-based line and column here.
#include "base/json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include "base/text_file.h"

namespace namk {

struct JsonDocument {
  std::string file;
  rapidjson::Document doc;
};

namespace {

const rapidjson::Value& value_of(const void* node) {
  return *static_cast<const rapidjson::Value*>(node);
}

std::string precise_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// RapidJSON's parser recurses once per nesting level, so a file of 200000 '[' overflowed the
// stack (found by fuzzing). Our files nest a few levels; the limit is checked before parsing.
constexpr int kMaxDepth = 256;

// Offset of the first bracket that opens level kMaxDepth + 1 (outside strings), or npos. Also
// collects in zeros the offset and length of every number that is exactly zero but written with
// a fraction or exponent ("0e-30", "-0.000...0"): RapidJSON 1.1's full-precision path computes
// clz(0) for those (undefined; found by fuzzing) and returns garbage such as 9.6e-240.
// Collects in numbers the offset of every number, in text order.
size_t scan(const std::string& text, std::vector<std::pair<size_t, size_t>>& zeros, std::vector<size_t>& numbers) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = i + (c == '-');
      bool all_zero = true, real = false;
      for (; end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.'); ++end) {
        all_zero = all_zero && (text[end] == '0' || text[end] == '.');
        real = real || text[end] == '.';
      }
      if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
        real = true;
        for (++end; end < text.size() && (text[end] == '+' || text[end] == '-' || (text[end] >= '0' && text[end] <= '9'));)
          ++end;
      }
      if (all_zero && real && end - i >= 4) zeros.emplace_back(i, end - i);
      numbers.push_back(i);
      i = end - 1;
    }
  }
  return std::string::npos;
}

// RapidJSON's normal-precision path is off by an ulp for some long decimals (0.13508800804658277
// reads as ...275), so every non-integer is read again here with from_chars, which rounds
// correctly: a value read and written back (a model's metadata) keeps the file's value. The
// document's numbers come in the text's order, which is how scan() listed their offsets.
void read_exactly(rapidjson::Value& v, const std::string& text, const std::vector<size_t>& numbers, size_t& next) {
  if (v.IsNumber()) {
    double x = 0;
    // Replaced only when the two readings agree to a few ulps: should scan() ever pair a number
    // with the wrong offset, the value stays RapidJSON's instead of becoming another number's.
    if (v.IsDouble() && next < numbers.size() &&
        std::from_chars(text.data() + numbers[next], text.data() + text.size(), x).ec == std::errc() &&
        std::abs(x - v.GetDouble()) <= 1e-12 * std::abs(x))
      v.SetDouble(x);
    ++next;
  } else if (v.IsArray()) {
    for (rapidjson::Value& e : v.GetArray()) read_exactly(e, text, numbers, next);
  } else if (v.IsObject()) {
    // By index: clang finds the mutable member iterators' != ambiguous in C++20.
    for (rapidjson::SizeType i = 0; i < v.MemberCount(); ++i) read_exactly((v.MemberBegin() + i)->value, text, numbers, next);
  }
}

void write_text(const rapidjson::Value& v, std::string& out) {
  if (v.IsObject()) {
    out += '{';
    bool first = true;
    for (const auto& m : v.GetObject()) {
      out += (first ? "" : ", ") + json_quote(std::string(m.name.GetString(), m.name.GetStringLength())) + ": ";
      write_text(m.value, out);
      first = false;
    }
    out += '}';
  } else if (v.IsArray()) {
    out += '[';
    bool first = true;
    for (const rapidjson::Value& e : v.GetArray()) {
      out += first ? "" : ", ";
      write_text(e, out);
      first = false;
    }
    out += ']';
  } else if (v.IsString()) {
    out += json_quote(std::string(v.GetString(), v.GetStringLength()));
  } else if (v.IsInt64()) {
    out += std::to_string(v.GetInt64());
  } else if (v.IsUint64()) {
    out += std::to_string(v.GetUint64());
  } else if (v.IsNumber()) {
    out += json_number(v.GetDouble());
  } else {
    out += v.IsNull() ? "null" : v.IsTrue() ? "true" : "false";
  }
}

}  // namespace

std::string Json::text() const {
  std::string out;
  write_text(value_of(node_), out);
  return out;
}

std::string json_number(double x) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, x).ptr;
  return std::string(text, end);
}

Json Json::parse_file(const std::string& path) {
  return parse_string(read_text_file(path, "a readable JSON file"), path);
}

Json Json::parse_string(const std::string& text, const std::string& name) {
  auto position = [&](size_t offset) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
  };
  std::vector<std::pair<size_t, size_t>> zeros;
  std::vector<size_t> numbers;
  if (const size_t deep = scan(text, zeros, numbers); deep != std::string::npos)
    throw input_error(name, position(deep), "JSON nested at most " + std::to_string(kMaxDepth) + " levels deep",
                      "deeper nesting");
  // Each exact zero written the long way becomes "0.0" or "-0.0" padded with spaces to its
  // length, so offsets (and error positions) stay those of the file.
  std::string rewritten;
  if (!zeros.empty()) {
    rewritten = text;
    for (const auto& [at, length] : zeros) {
      const std::string zero = text[at] == '-' ? "-0.0" : "0.0";
      rewritten.replace(at, length, zero + std::string(length - zero.size(), ' '));
    }
  }
  const std::string& parsed = zeros.empty() ? text : rewritten;
  auto holder = std::make_shared<JsonDocument>();
  holder->file = name;
  // Normal precision, not kParseFullPrecisionFlag: RapidJSON 1.1's full-precision path passes a
  // zero significand to clz() (undefined; it returned garbage such as 9.6e-240) for zeros written
  // with many digits, even ones that a syntax error follows, where the rewrite above cannot reach.
  // The normal path is exact for decimals of up to 15 digits with exponents within ±22 (the short
  // numbers configs hold) and otherwise off by a few units in the last place of a double, which
  // rounding to the float32 weights absorbs.
  holder->doc.Parse(parsed.c_str(), parsed.size());
  if (holder->doc.HasParseError())
    throw input_error(name, position(holder->doc.GetErrorOffset()), "valid JSON",
                      rapidjson::GetParseError_En(holder->doc.GetParseError()));
  size_t next = 0;
  read_exactly(holder->doc, parsed, numbers, next);
  const void* root = &holder->doc;
  return Json(std::move(holder), root, "");
}

const std::string& Json::file() const { return doc_->file; }

std::string Json::where() const { return path_.empty() ? "top level" : path_; }

bool Json::is_null() const { return value_of(node_).IsNull(); }
bool Json::is_bool() const { return value_of(node_).IsBool(); }
bool Json::is_number() const { return value_of(node_).IsNumber(); }
bool Json::is_string() const { return value_of(node_).IsString(); }
bool Json::is_array() const { return value_of(node_).IsArray(); }
bool Json::is_object() const { return value_of(node_).IsObject(); }

std::string Json::describe() const {
  const auto& v = value_of(node_);
  if (v.IsNull()) return "null";
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsNumber()) return "the number " + precise_number(v.GetDouble());
  if (v.IsString()) {
    std::string s(v.GetString(), v.GetStringLength());
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return "the string " + json_quote(s);
  }
  if (v.IsArray()) return "an array of " + std::to_string(v.Size()) + " items";
  return "an object";
}

InputError Json::error(const std::string& expected) const { return error(expected, describe()); }

InputError Json::error(const std::string& expected, const std::string& found) const {
  return input_error(file(), where(), expected, found);
}

double Json::number() const {
  if (!is_number()) throw error("a number");
  return value_of(node_).GetDouble();
}

long long Json::integer() const {
  const auto& v = value_of(node_);
  if (v.IsInt64()) return v.GetInt64();
  // 1e3 or 48000.0 are integers too; 2.5 and 1e30 are not.
  if (v.IsNumber() && std::floor(v.GetDouble()) == v.GetDouble() && std::fabs(v.GetDouble()) < 9e15)
    return static_cast<long long>(v.GetDouble());
  throw error("an integer");
}

bool Json::boolean() const {
  if (!is_bool()) throw error("true or false");
  return value_of(node_).GetBool();
}

std::string Json::string() const {
  if (!is_string()) throw error("a string");
  const auto& v = value_of(node_);
  return std::string(v.GetString(), v.GetStringLength());
}

std::vector<Json> Json::items() const {
  if (!is_array()) throw error("an array");
  std::vector<Json> out;
  const auto& v = value_of(node_);
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
    out.push_back(Json(doc_, &v[i], path_ + "[" + std::to_string(i) + "]"));
  return out;
}

void Json::require_object() const {
  if (!is_object()) throw error("an object");
}

bool Json::has(const std::string& key) const { return find(key).has_value(); }

std::optional<Json> Json::find(const std::string& key) const {
  require_object();
  const auto& v = value_of(node_);
  auto it = v.FindMember(rapidjson::StringRef(key.c_str(), key.size()));
  if (it == v.MemberEnd()) return std::nullopt;
  return Json(doc_, &it->value, path_.empty() ? key : path_ + "." + key);
}

Json Json::operator[](const std::string& key) const {
  if (auto found = find(key)) return *found;
  const auto present = keys();
  throw error("a field " + json_quote(key),
              present.empty() ? "no fields" : "only the fields " + join(present));
}

std::vector<std::string> Json::keys() const {
  require_object();
  std::vector<std::string> out;
  for (const auto& m : value_of(node_).GetObject())
    out.emplace_back(m.name.GetString(), m.name.GetStringLength());
  return out;
}

void Json::allow_only(std::initializer_list<const char*> allowed) const {
  std::vector<std::string> allowed_names(allowed.begin(), allowed.end());
  std::vector<std::string> seen;
  for (const auto& key : keys()) {
    bool known = false;
    for (const auto& a : allowed_names) known = known || a == key;
    if (!known)
      throw input_error(file(), where(), "only the fields " + join(allowed_names),
                        "an unknown field " + json_quote(key));
    for (const auto& s : seen)
      if (s == key)
        throw input_error(file(), where(), "each field once",
                          "the field " + json_quote(key) + " twice");
    seen.push_back(key);
  }
}

double Json::number_or(const std::string& key, double fallback) const {
  auto v = find(key);
  return v ? v->number() : fallback;
}

long long Json::integer_or(const std::string& key, long long fallback) const {
  auto v = find(key);
  return v ? v->integer() : fallback;
}

bool Json::boolean_or(const std::string& key, bool fallback) const {
  auto v = find(key);
  return v ? v->boolean() : fallback;
}

std::string Json::string_or(const std::string& key, const std::string& fallback) const {
  auto v = find(key);
  return v ? v->string() : fallback;
}

std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace namk
