// See init_from_model.h.
#include "nn/init_from_model.h"

#include <algorithm>

#include "base/error.h"

namespace namk {

namespace {

std::string shape_text(const std::vector<Index>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

std::string knob_names(const Model& m) {
  std::string s;
  for (const KnobSpec& k : m.knobs()) s += (s.empty() ? "" : ", ") + k.name;
  return s.empty() ? "none" : s;
}

}  // namespace

void init_from_model(Model& target, const Model& source, const std::string& source_name) {
  if (source.config().architecture != target.config().architecture)
    throw input_error(source_name, "architecture", "a " + target.config().architecture + " model, as the model trained",
                      "a " + source.config().architecture + " model");
  const bool whole = !source.knobs().empty();
  if (whole) {
    const bool same_knobs = source.knobs().size() == target.knobs().size() &&
                            std::equal(source.knobs().begin(), source.knobs().end(), target.knobs().begin(),
                                       [](const KnobSpec& a, const KnobSpec& b) { return a.name == b.name; });
    if (!same_knobs || source.config().conditioning != target.config().conditioning)
      throw input_error(source_name, "knobs",
                        "a plain model, or one with the same knobs and conditioning as the model trained (" +
                            knob_names(target) + ")",
                        "knobs " + knob_names(source));
  }
  const Index limit = whole ? target.num_params() : target.architecture_params();
  Vec& to = target.params();
  const Vec& from = source.params();
  for (const ParamView& v : target.param_layout().views()) {
    if (v.offset >= limit) break;
    const auto& source_views = source.param_layout().views();
    const auto match = std::find_if(source_views.begin(), source_views.end(),
                                    [&](const ParamView& s) { return s.name == v.name; });
    if (match == source_views.end())
      throw input_error(source_name, v.name, "the tensor " + v.name + " " + shape_text(v.shape) +
                        " of the model trained (the same architecture config)", "no such tensor");
    if (match->shape != v.shape) {
      const std::string hint = !target.knobs().empty() && target.config().conditioning == Conditioning::Concat && !whole
                                   ? " (concat conditioning widens the input weights by the knobs: --init needs FiLM)"
                                   : " (the same architecture config)";
      throw input_error(source_name, v.name, "shape " + shape_text(v.shape) + hint, "shape " + shape_text(match->shape));
    }
    std::copy_n(from.data() + match->offset, v.size(), to.data() + v.offset);
  }
  if (!whole) target.adopt_plain_extras(source, source_name);
}

}  // namespace namk
