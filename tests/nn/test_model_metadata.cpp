// Model metadata survives a read and a write: every key of every NAM-made file in the fixtures
// (NAM's date object, the trainer's nested training block, numbers to the last digit), unknown
// keys and known keys of an unexpected type, and our own files (written again byte for byte).
#include <doctest/doctest.h>

#include <algorithm>

#include "base/json.h"
#include "base/text_file.h"
#include "model_test_util.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;

namespace {
const std::string kFixtures = NAMK_FIXTURES_DIR;

// What a writer may add to a block that lacked a key: an empty value.
bool empty_value(const std::string& text) {
  return text == "\"\"" || text == "null" || text == "{\"validation_esr\": null}";
}

// Each key of the original block comes back with the same value (compared as JSON text written
// by one writer, so 1.0 and 1 or key spacing cannot differ by accident), and any added key is empty.
void check_same_metadata(const std::optional<Json>& original, const Json& back) {
  REQUIRE(back.is_object());
  const bool object = original && original->is_object();
  const std::vector<std::string> keys = object ? original->keys() : std::vector<std::string>{};
  for (const std::string& key : keys) {
    CAPTURE(key);
    REQUIRE(back.has(key));
    CHECK(back[key].text() == (*original)[key].text());
  }
  for (const std::string& key : back.keys()) {
    CAPTURE(key);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) CHECK(empty_value(back[key].text()));
  }
}
}  // namespace

TEST_CASE("metadata: every NAM-made fixture's block survives read -> write") {
  for (const char* file : {"nam/lstm.nam", "nam/wavenet.nam", "nam/wavenet_a1_standard.nam", "nam_models/A2.nam",
                           "nam_models/slimmable_container.nam", "nam_models/slimmable_wavenet.nam",
                           "nam_models/wavenet_a2_max.nam", "nam_models/wavenet_condition_dsp.nam"}) {
    CAPTURE(file);
    const std::string text = read_text_file(kFixtures + "/" + file, "a model");
    const std::optional<Json> original = Json::parse_string(text, file).find("metadata");
    const std::string block = metadata_to_json(metadata_from_json(original));
    check_same_metadata(original, Json::parse_string(block, "written"));
    // Ours to ours: byte for byte.
    CHECK(metadata_to_json(metadata_from_json(Json::parse_string(block, "written"))) == block);
  }
}

TEST_CASE("metadata: export of a loaded file writes the block it read") {
  for (const char* file : {"nam/lstm.nam", "nam/wavenet_a1_standard.nam", "nam_models/A2.nam",
                           "nam_models/slimmable_wavenet.nam"}) {
    CAPTURE(file);
    const std::string text = read_text_file(kFixtures + "/" + file, "a model");
    const LoadedModel loaded = model_from_json(text, file);
    const std::string written = model_to_json(*loaded.model, loaded.metadata);
    check_same_metadata(Json::parse_string(text, file).find("metadata"), Json::parse_string(written, "written")["metadata"]);
    const LoadedModel again = model_from_json(written, "written");
    CHECK(model_to_json(*again.model, again.metadata) == written);
  }
}

TEST_CASE("metadata: numbers keep every digit, and the fields hold NAM's values") {
  const std::string text = read_text_file(kFixtures + "/nam/lstm.nam", "a model");
  const LoadedModel lstm = model_from_json(text, "lstm.nam");
  // The decimals as NAM's trainer wrote them; the second reads an ulp off without a correctly
  // rounded parse.
  CHECK(*lstm.metadata.loudness == -37.8406867980957);
  CHECK(*lstm.metadata.gain == 0.13508800804658277);
  CHECK(*lstm.metadata.input_level_dbu == 18.3);
  CHECK(lstm.metadata.gear_make == "Darkglass Electronics");
  CHECK(!lstm.metadata.validation_esr);  // null in the file
  CHECK(metadata_date(lstm.metadata) == "2024-10-09T18:44:41");
  const std::string written = model_to_json(*lstm.model, lstm.metadata);
  CHECK(written.find("\"gain\": 0.13508800804658277") != std::string::npos);
  CHECK(written.find("\"delays\": [-16]") != std::string::npos);
  CHECK(written.find("\"date\": {\"year\": 2024, \"month\": 10, \"day\": 9") != std::string::npos);

  const LoadedModel a2 = load_model(kFixtures + "/nam_models/A2.nam");
  CHECK(*a2.metadata.loudness == -26.383899688720703);
  CHECK(*a2.metadata.gain == 0.6702560539381163);
}

TEST_CASE("metadata: unknown keys, known keys of another type, and a new value replacing a kept one") {
  const std::string text = R"({"version": "0.5.4", "architecture": "Linear", "metadata": {"name": null,
      "loudness": "loud", "custom": {"list": [1, 2.5, "x", true, null], "nested": {"deep": -0.1}},
      "date": "2026-12-05T01:02:03", "training": null},
      "config": {"receptive_field": 2, "bias": false}, "weights": [0.5, 0.25], "sample_rate": 48000})";
  LoadedModel m = model_from_json(text, "custom.nam");
  CHECK(m.metadata.name.empty());
  CHECK(!m.metadata.loudness);
  CHECK(m.metadata.date == "2026-12-05T01:02:03");
  const Json back = Json::parse_string(model_to_json(*m.model, m.metadata), "back")["metadata"];
  CHECK(back["custom"].text() == R"({"list": [1, 2.5, "x", true, null], "nested": {"deep": -0.1}})");
  CHECK(back["name"].is_null());
  CHECK(back["loudness"].string() == "loud");
  CHECK(back["training"].is_null());
  CHECK(back["date"].string() == "2026-12-05T01:02:03");
  // A value set by us (a computed loudness, an ESR) replaces what the file had.
  m.metadata.loudness = -12.5;
  m.metadata.validation_esr = 0.25;
  const Json set = Json::parse_string(model_to_json(*m.model, m.metadata), "set")["metadata"];
  CHECK(set["loudness"].number() == -12.5);
  CHECK(set["training"]["validation_esr"].number() == 0.25);
  CHECK(set.keys().size() == back.keys().size());
}

TEST_CASE("metadata: a file as train writes it reads back and writes again byte for byte") {
  ModelConfig c = tiny_wavenet();
  c.knobs = two_knobs();
  auto m = make_model(c);
  randomise(*m, 3);
  ModelMetadata md;  // as train fills it; no date: the time of writing
  md.name = "run";
  md.validation_esr = 0.0123;
  md.loudness = -18.25;
  const std::string text = model_to_json(*m, md);
  const LoadedModel back = model_from_json(text, "model.nam");
  CHECK(*back.metadata.loudness == -18.25);
  CHECK(*back.metadata.validation_esr == 0.0123);
  CHECK(back.metadata.date.size() == 19);  // "2026-12-05T01:02:03"
  CHECK(model_to_json(*back.model, back.metadata) == text);
}

// NAM's runtime reads a present "loudness" (and the dBu levels) as a number, and refuses a file
// where it is null: a number we do not know is left out, never written as null.
TEST_CASE("metadata: unknown loudness and levels are left out of a written file") {
  auto m = make_model(tiny_wavenet());
  const Json md = Json::parse_string(model_to_json(*m, ModelMetadata{}), "fresh")["metadata"];
  for (const char* key : {"loudness", "input_level_dbu", "output_level_dbu", "gain"}) {
    CAPTURE(key);
    CHECK_FALSE(md.has(key));
  }
  ModelMetadata known;
  known.loudness = -20.5;
  known.input_level_dbu = 12.0;
  const Json set = Json::parse_string(model_to_json(*m, known), "known")["metadata"];
  CHECK(set["loudness"].number() == -20.5);
  CHECK(set["input_level_dbu"].number() == 12.0);
  CHECK_FALSE(set.has("output_level_dbu"));
}
