// The learning config: defaults, round trip through its own JSON, and errors that name the key.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "base/error.h"
#include "train/learning_config.h"

using namespace namk;

TEST_CASE("an empty learning config gives NAM's defaults") {
  const LearningConfig c = parse_learning_config("{}", "<test>");
  CHECK(c.epochs == 100);
  CHECK(c.batch_size == 16);
  CHECK(c.lr == doctest::Approx(0.004));
  CHECK(c.lr_decay == doctest::Approx(0.993));
  CHECK(c.loss.mse == 1.0);
  CHECK(c.loss.pre_emphasis_mrstft == doctest::Approx(2e-4));
}

TEST_CASE("learning config round-trips through its JSON") {
  LearningConfig c = parse_learning_config(
      R"({"epochs": 7, "lr": 0.01, "seed": 42, "loss": {"esr": 0.5, "pre_emphasis_coef": 0.9}})",
      "<test>");
  CHECK(c.epochs == 7);
  CHECK(c.seed == 42);
  CHECK(c.loss.esr == 0.5);
  const LearningConfig again = parse_learning_config(learning_config_json(c), "<again>");
  CHECK(learning_config_json(again) == learning_config_json(c));
  CHECK(again.loss.pre_emphasis_coef == doctest::Approx(0.9));
}

TEST_CASE("learning config errors name the file, the key and what was found") {
  CHECK_THROWS_WITH_AS(parse_learning_config(R"({"epoch": 3})", "learn.json"),
                       doctest::Contains("unknown key \"epoch\""), InputError);
  CHECK_THROWS_WITH_AS(parse_learning_config(R"({"epochs": 0})", "learn.json"),
                       doctest::Contains("learn.json"), InputError);
  CHECK_THROWS_WITH_AS(parse_learning_config(R"({"epochs": 0})", "learn.json"),
                       doctest::Contains("epochs"), InputError);
  CHECK_THROWS_WITH_AS(parse_learning_config(R"({"lr": "fast"})", "learn.json"),
                       doctest::Contains("\"fast\""), InputError);
  CHECK_THROWS_WITH_AS(parse_learning_config(R"({"loss": {"l1": 1}})", "learn.json"),
                       doctest::Contains("unknown key \"l1\""), InputError);
  CHECK_THROWS_WITH_AS(parse_learning_config("{\"epochs\": 3,", "learn.json"),
                       doctest::Contains("line 1"), InputError);
}

TEST_CASE("learning config docs list every key with its default") {
  const std::string docs = learning_config_docs();
  CHECK(docs.find("| `epochs` | 100 |") != std::string::npos);
  CHECK(docs.find("`loss.pre_emphasis_mrstft`") != std::string::npos);
}

TEST_CASE("configs/README.md documents every learning key with its current default") {
  std::ifstream in(std::string(NAMK_SOURCE_DIR) + "/configs/README.md");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find(learning_config_docs()) != std::string::npos);
}
