// See knob_conditioner.h.
#include "nn/layers/knob_conditioner.h"

#include <algorithm>
#include <string>

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/ops.h"
#include "nn/model.h"

namespace namk {

void KnobConditioner::build(const ModelConfig& config, const std::vector<Index>& film_sites, ParamLayout& layout,
                            Index controls, const RowRouting& routing) {
  knobs_ = config.knobs;
  const Index nk = static_cast<Index>(knobs_.size());
  film_ = nk > 0 && config.conditioning == Conditioning::Film;
  concat_ = nk > 0 && config.conditioning == Conditioning::Concat;
  raw_ = concat_ && config.architecture == "WaveNet" && config.wavenet.in_channels > 1;
  shift_ = config.film.shift;
  hidden_ = config.film.units(nk);
  activation_ = config.film.activation;
  sites_.clear();
  w1_mask_.resize(0, 0);
  w2_mask_.resize(0, 0);
  outputs_ = concat_ ? nk : 0;
  if (!film_) return;
  if (routing.any() && !config.film.separable)
    throw InputError(describe_error("model config", "conditioning.separable",
                                    "true with knob routing (a row can be kept from a knob only when each hidden "
                                    "unit reads one knob)",
                                    "false"));
  std::vector<KnobSet> row_knobs;  // knob routing: the knobs each row of the column hears
  for (size_t s = 0; s < film_sites.size(); ++s) {
    const Index c = film_sites[s], rows = shift_ ? 2 * c : c;
    sites_.push_back({outputs_, c, shift_});
    outputs_ += rows;
    row_knobs.insert(row_knobs.end(), static_cast<size_t>(rows), s < routing.sites.size() ? routing.sites[s] : KnobSet{});
  }
  controls_offset_ = outputs_;
  outputs_ += controls;
  if (routing.controls.empty())
    row_knobs.insert(row_knobs.end(), static_cast<size_t>(controls), KnobSet{});
  else if (static_cast<Index>(routing.controls.size()) == controls)
    row_knobs.insert(row_knobs.end(), routing.controls.begin(), routing.controls.end());
  else
    throw UsageError("knob routing: " + std::to_string(routing.controls.size()) + " control rows routed for " +
                     std::to_string(controls) + " controls");
  for (const KnobSet& k : row_knobs)
    if (!k.empty() && static_cast<Index>(k.size()) != nk)
      throw UsageError("knob routing: a row's knob set has " + std::to_string(k.size()) + " flags for " +
                       std::to_string(nk) + " knobs");
  // w1: unit j reads knob i (separable: only its own); w2: row r reads unit j (routing: only the
  // units of the knobs the row hears).
  if (config.film.separable) {
    w1_mask_.resize(hidden_, nk);
    for (Index j = 0; j < hidden_; ++j)
      for (Index i = 0; i < nk; ++i) w1_mask_(j, i) = config.film.unit_reads(j, i) ? Scalar(1) : Scalar(0);
  }
  if (routing.any()) {
    w2_mask_.resize(outputs_, hidden_);
    for (Index r = 0; r < outputs_; ++r) {
      const KnobSet& k = row_knobs[static_cast<size_t>(r)];
      for (Index j = 0; j < hidden_; ++j)
        w2_mask_(r, j) = k.empty() || k[static_cast<size_t>(j / config.film.hidden)] ? Scalar(1) : Scalar(0);
    }
  }
  w1_ = layout.add("film.w1", {hidden_, nk}, config.film.separable ? 1 : nk);  // fan-in: the knobs a unit reads
  b1_ = layout.add("film.b1", {hidden_}, nk);
  w2_ = layout.add("film.w2", {outputs_, hidden_}, 0);  // zero: see init()
  b2_ = layout.add("film.b2", {outputs_}, 0);
}

FilmSite KnobConditioner::site(size_t s) const { return film_ && s < sites_.size() ? sites_[s] : FilmSite{}; }

void KnobConditioner::init(Scalar* params) const {
  if (!film_) return;
  const Index nk = static_cast<Index>(knobs_.size());
  for (Index j = 0; j < w1_mask_.rows(); ++j)  // w1 is row-major (hidden, n_knobs)
    for (Index i = 0; i < nk; ++i)
      if (w1_mask_(j, i) == 0) params[w1_ + j * nk + i] = 0;
  for (Index r = 0; r < w2_mask_.rows(); ++r)  // w2 is row-major (outputs, hidden)
    for (Index j = 0; j < hidden_; ++j)
      if (w2_mask_(r, j) == 0) params[w2_ + r * hidden_ + j] = 0;
  // w2's other entries stay as they are (zero from the layout); b2 gives gamma = 1, beta = 0 and controls 0 whatever the knobs.
  for (const FilmSite& s : sites_) std::fill_n(params + b2_ + s.offset, s.channels, Scalar(1));
}

Var KnobConditioner::forward(Tape& t, const ParamBuffers& p, std::span<const double> knob_values) const {
  const Index nk = static_cast<Index>(knobs_.size());
  if (nk == 0) return Var{};
  if (static_cast<Index>(knob_values.size()) != nk)
    throw UsageError("model forward: expected " + std::to_string(nk) + " knob values, found " +
                     std::to_string(knob_values.size()));
  Var k = t.output(nk, 1, false);
  for (Index i = 0; i < nk; ++i) t.value(k)(i, 0) = knob_input(i, knob_values[i]);
  if (concat_) return k;
  Var w1 = p.weight(t, w1_, hidden_, nk, 1);
  if (w1_mask_.size()) w1 = mul(t, w1, t.constant(w1_mask_));  // the masked weights' gradient is zero too
  Var w2 = p.weight(t, w2_, outputs_, hidden_, 1);
  if (w2_mask_.size()) w2 = mul(t, w2, t.constant(w2_mask_));
  Var hidden = conv1d(t, k, w1, p.vector(t, b1_, hidden_), 1);
  hidden = activation(t, activation_, hidden);
  return conv1d(t, hidden, w2, p.vector(t, b2_, outputs_), 1);
}

void KnobConditioner::prepare(const Scalar* params, State& s) const {
  if (!film_) return;
  const Index nk = static_cast<Index>(knobs_.size());
  s.w1.resize(hidden_, nk);
  s.w2.resize(outputs_, hidden_);
  nam_weight_pack(params + w1_, nk, 1, s.w1);
  nam_weight_pack(params + w2_, hidden_, 1, s.w2);
  // As the graph's masks do, whatever the file holds.
  if (w1_mask_.size()) s.w1 = (w1_mask_.array() == 0).select(Scalar(0), s.w1);
  if (w2_mask_.size()) s.w2 = (w2_mask_.array() == 0).select(Scalar(0), s.w2);
  s.knobs.resize(nk, 1);
  s.hidden.resize(hidden_, 1);
}

void KnobConditioner::evaluate(const Scalar* params, std::span<const double> knob_values, State& s,
                               Scalar* column) const noexcept {
  const Index nk = static_cast<Index>(knobs_.size());
  if (concat_) {
    for (Index i = 0; i < nk; ++i) column[i] = knob_input(i, knob_values[i]);
    return;
  }
  if (!film_) return;
  for (Index i = 0; i < nk; ++i) s.knobs(i, 0) = static_cast<Scalar>(knobs_[i].normalise(knob_values[i]));
  const ConstMatMap b1(params + b1_, hidden_, 1), b2(params + b2_, outputs_, 1);
  conv1d_forward(s.knobs, s.w1, b1, 1, s.hidden);
  activation_forward(activation_, s.hidden, s.hidden);
  conv1d_forward(s.hidden, s.w2, b2, 1, MatMap(column, outputs_, 1));
}

Var with_knob_channels(Tape& t, Var x, Var cond) {
  Var knobs = t.output(t.rows(cond), t.cols(x), false);
  t.value(knobs).colwise() = t.value(cond).col(0);
  return concat_channels(t, x, knobs);
}

void fill_knob_channels(const Vec& cond, MatRef rows) noexcept { rows.colwise() = cond; }

}  // namespace namk
