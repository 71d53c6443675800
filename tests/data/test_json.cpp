// base/json: parse errors with line and column, typed getters naming file + field path + expected
// + found, optional fields, unknown and repeated keys.
#include <doctest/doctest.h>

#include <cmath>

#include "base/json.h"
#include "data_test_util.h"

using namespace namk;
using doctest::Contains;

TEST_CASE("json: syntax errors give the file, line and column") {
  CHECK_THROWS_WITH_AS(Json::parse_string("{\n  \"a\": 1,\n  \"b\" 2\n}", "cfg.json"),
                       Contains("cfg.json: line 3, column 7: expected valid JSON, found"),
                       InputError);
  CHECK_THROWS_WITH_AS(Json::parse_string("RIFF\x01\x02 not json", "x.json"),
                       Contains("x.json: line 1, column 1: expected valid JSON"), InputError);
  CHECK_THROWS_WITH_AS(Json::parse_string("", "empty.json"),
                       Contains("empty.json: line 1, column 1"), InputError);
  const namk::test::TempDir dir;
  CHECK_THROWS_WITH_AS(Json::parse_file(dir.str()), Contains("expected a readable JSON file"),
                       InputError);
  CHECK_THROWS_WITH_AS(
      Json::parse_file("/nonexistent/nowhere.json"),
      Contains("/nonexistent/nowhere.json: expected a readable JSON file, found no such file"),
      InputError);
}

TEST_CASE("json: typed getters name the field path, the expected type and what was found") {
  const Json root = Json::parse_string(
      R"({"entries": [{"a": 1}, {"a": 2}, {"a": 3}, {"knob_level": "high", "n": 2.5, "s": "x"}]})",
      "d.json");
  const Json e3 = root["entries"].items()[3];
  CHECK_THROWS_WITH_AS(
      e3["knob_level"].number(),
      Contains("d.json: entries[3].knob_level: expected a number, found the string \"high\""),
      InputError);
  CHECK_THROWS_WITH_AS(e3["n"].integer(),
                       Contains("entries[3].n: expected an integer, found the number 2.5"),
                       InputError);
  CHECK_THROWS_WITH_AS(e3["s"].items(),
                       Contains("entries[3].s: expected an array, found the string \"x\""),
                       InputError);
  CHECK_THROWS_WITH_AS(root["entries"]["x"],
                       Contains("d.json: entries: expected an object, found an array of 4 items"),
                       InputError);
  CHECK_THROWS_WITH_AS(
      e3["output_file"],
      Contains(
          "entries[3]: expected a field \"output_file\", found only the fields knob_level, n, s"),
      InputError);
  CHECK(root["entries"].items()[1]["a"].integer() == 2);
  CHECK(Json::parse_string("4.8e4", "n").integer() == 48000);
  CHECK_THROWS_WITH_AS(
      Json::parse_string("[1]", "top.json").string(),
      Contains("top.json: top level: expected a string, found an array of 1 items"), InputError);
}

TEST_CASE("json: optional fields take defaults but must have the right type when present") {
  const Json j = Json::parse_string(R"({"x": 2, "flag": true, "name": "n"})", "o.json");
  CHECK(j.number_or("x", 7) == 2);
  CHECK(j.number_or("y", 7) == 7);
  CHECK(j.integer_or("y", 3) == 3);
  CHECK(j.boolean_or("flag", false));
  CHECK(j.string_or("other", "d") == "d");
  CHECK_THROWS_WITH_AS(j.boolean_or("x", false),
                       Contains("o.json: x: expected true or false, found the number 2"),
                       InputError);
  CHECK(j.find("missing") == std::nullopt);
}

TEST_CASE("json: unknown keys are errors that list the allowed ones, and so are repeated keys") {
  const Json j = Json::parse_string(R"({"dataset": "d.json", "sampel_rate": 44100})", "c.json");
  CHECK_THROWS_WITH_AS(
      j.allow_only({"dataset", "sample_rate"}),
      Contains("c.json: top level: expected only the fields dataset, sample_rate, found an unknown "
               "field \"sampel_rate\""),
      InputError);
  const Json twice = Json::parse_string(R"({"a": 1, "a": 2})", "t.json");
  CHECK_THROWS_WITH_AS(twice.allow_only({"a"}),
                       Contains("expected each field once, found the field \"a\" twice"),
                       InputError);
  CHECK(j.keys() == std::vector<std::string>{"dataset", "sampel_rate"});
}

TEST_CASE("json: json_quote escapes quotes, backslashes and control characters") {
  CHECK(json_quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\u000a\"");
  CHECK(Json::parse_string(json_quote("x\"y\n"), "q").string() == "x\"y\n");
}

TEST_CASE("json: deep nesting is refused before parsing (it overflowed the parser's stack)") {
  // Found by fuzzing: 200000 '[' crashed every reader (the .nam reader, configs, datasets).
  CHECK_THROWS_WITH_AS(Json::parse_string(std::string(200000, '['), "deep.nam"),
                       Contains("deep.nam: line 1, column 257: expected JSON nested at most 256 levels deep, "
                                "found deeper nesting"),
                       InputError);
  const std::string ok = std::string(256, '[') + std::string(256, ']');
  CHECK(Json::parse_string(ok, "ok.json").is_array());
  // Brackets inside strings (escaped quotes too) do not count.
  const std::string text = "{\"a\": \"" + std::string(300, '[') + "\\\"" + std::string(300, '{') + "\"}";
  CHECK(Json::parse_string(text, "s.json").is_object());
}

TEST_CASE("json: zeros written with a fraction or exponent read as exactly zero") {
  // Found by fuzzing: RapidJSON 1.1 computed clz(0) for these and returned e.g. 9.6e-240 for
  // "0e-30", and a positive number for "-0.0e-25".
  const Json j = Json::parse_string(
      R"([0e-30, 0.0000000000000000000000000000000, -0.0e-25, 0E400, 1e-23, 0.5, -0, 100, [0.0e-99]])", "z.json");
  const std::vector<Json> v = j.items();
  CHECK(v[0].number() == 0);
  CHECK(v[1].number() == 0);
  CHECK(v[2].number() == 0);
  CHECK(std::signbit(v[2].number()));
  CHECK(v[3].number() == 0);
  // A small non-zero number is not taken for a zero; normal-precision parsing (json.cpp) is within
  // a few units in the last place of the nearest double.
  CHECK(v[4].number() == doctest::Approx(1e-23).epsilon(1e-14));
  CHECK(v[4].number() > 0);
  CHECK(v[5].number() == 0.5);
  CHECK(v[6].number() == 0);
  CHECK(v[7].integer() == 100);
  CHECK(v[8].items()[0].number() == 0);
  // Error positions are those of the file.
  CHECK_THROWS_WITH_AS(Json::parse_string("[0e-30, x]", "p.json"), Contains("p.json: line 1, column 9"), InputError);
  // Found by fuzzing: a zero with many digits that a syntax error follows escapes the rewrite;
  // RapidJSON's full-precision path computed clz(0) on it (UBSan reports it). Now a plain error.
  CHECK_THROWS_AS(Json::parse_string("[-0.0000000000000000000000000000000000000000.14]", "q.json"), InputError);
}
