// The knob conditioner: knob values (in their units) -> the conditioning column the layers read.
// FiLM: a small MLP, normalised knobs -> dense(hidden) -> activation -> dense -> per FiLM site in
// order, gamma (c) then beta (c, with shift), then any controls the architecture reads itself (a
// tone stack's settings); its tensors film.w1 (hidden, n_knobs), film.b1, film.w2 (F, hidden),
// film.b2 follow the architecture's in the flat buffer. Separable FiLM: each knob owns a block of
// `hidden` units (w1 is (hidden * n_knobs, n_knobs) and zero outside each unit's own knob column,
// held there by a mask in the graph), so the column is a sum of one function per knob. Concat: the column is
// the normalised knobs, which the layers see as constant input channels (with_knob_channels /
// fill_knob_channels, the one place those channels are filled). Without knobs the column is empty.
// forward() builds the training graph; evaluate() computes the same numbers with the same kernels
// into a State prepared once, allocating nothing (the streaming path and bake).
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "core/kernels/pointwise.h"
#include "base/knob_spec.h"
#include "core/tape.h"
#include "nn/layers/film.h"
#include "nn/film_config.h"
#include "nn/layers/param_buffers.h"
#include "nn/param_layout.h"

namespace namk {

struct ModelConfig;

// Knob routing: which knobs a group of rows may depend on (one flag per knob; empty: every knob),
// one set per FiLM site and one for the controls. A row reads a hidden unit only when the unit's
// knob is in its set, so it needs separable FiLM, whose units each read one knob.
using KnobSet = std::vector<bool>;
struct RowRouting {
  std::vector<KnobSet> sites;     // one per FiLM site, or none: every site every knob
  std::vector<KnobSet> controls;  // one per control row, or none: every control every knob
  bool any() const {
    const auto set = [](const KnobSet& k) { return !k.empty(); };
    return std::any_of(sites.begin(), sites.end(), set) || std::any_of(controls.begin(), controls.end(), set);
  }
};

class KnobConditioner {
 public:
  // Registers the FiLM MLP's tensors after the architecture's. film_sites: the channel count of
  // every FiLM site in order (ignored unless the config conditions with FiLM). controls: rows the
  // architecture reads directly after the sites' (a tone stack's settings), starting at zero.
  // routing: see RowRouting; throws InputError when it is set without separable FiLM.
  void build(const ModelConfig& config, const std::vector<Index>& film_sites, ParamLayout& layout,
             Index controls = 0, const RowRouting& routing = {});

  bool film() const { return film_; }
  bool concat() const { return concat_; }
  // Rows of the conditioning column.
  Index outputs() const { return outputs_; }
  // FiLM site s, or an inactive site without FiLM.
  FilmSite site(size_t s) const;
  // Where build()'s controls sit in the column.
  Index controls_offset() const { return controls_offset_; }

  // FiLM's output layer at zero with gamma's bias 1 (controls' 0): the untrained model with knobs
  // computes what it computes without them. The rest of the buffer is left as it is.
  void init(Scalar* params) const;

  // The column for these knob values (one per knob, in its units): (outputs(), 1), or Var{}
  // without knobs. Throws UsageError on a wrong count.
  Var forward(Tape& t, const ParamBuffers& p, std::span<const double> knob_values) const;

  struct State {
    Mat w1, w2, knobs, hidden;  // packed weights and scratch
  };
  void prepare(const Scalar* params, State& s) const;
  // column: outputs() scalars. Allocates nothing.
  void evaluate(const Scalar* params, std::span<const double> knob_values, State& s, Scalar* column) const noexcept;

 private:
  std::vector<KnobSpec> knobs_;
  bool film_ = false, concat_ = false, shift_ = false;
  Index hidden_ = 0, outputs_ = 0, controls_offset_ = 0;  // hidden_: all units (every knob's when separable)
  // Which entries of w1 (separable) and w2 (knob routing) the network reads: 1 or 0, made once in
  // build(), empty when every entry is read. The graph multiplies the weights by them, so the
  // masked entries' gradients are zero too; prepare() and init() zero those entries.
  Mat w1_mask_, w2_mask_;
  Activation activation_ = Activation::Tanh;
  // Concat into a WaveNet's input channels (in_channels > 1): the knobs' raw values, not normalised.
  bool raw_ = false;
  Scalar knob_input(Index i, double value) const {
    return static_cast<Scalar>(raw_ ? value : knobs_[static_cast<size_t>(i)].normalise(value));
  }
  std::vector<FilmSite> sites_;
  Index w1_ = 0, b1_ = 0, w2_ = 0, b2_ = 0;  // offsets of the MLP's tensors
};

// Concat: x (C, T) with the knobs (the column, (n_knobs, 1)) under it as constant channels.
Var with_knob_channels(Tape& t, Var x, Var cond);
// Streaming: rows (n_knobs, n), every column the knobs.
void fill_knob_channels(const Vec& cond, MatRef rows) noexcept;

}  // namespace namk
