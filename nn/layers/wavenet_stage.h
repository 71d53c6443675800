// A WaveNet stage: NAM's WaveNet body, a chain of layer arrays (layer_array.h) whose last head,
// times head_scale, is the stage's output. Every array's input mixer reads the stage's input (plus
// the knobs as constant channels with concat conditioning). nn/wavenet.h is one stage;
// nn/tone_stack_wavenet.h puts a tone stack between two.
#pragma once

#include <string>
#include <vector>

#include "nn/layers/knob_conditioner.h"
#include "nn/layers/layer_array.h"
#include "nn/model.h"

namespace namk {

class WaveNetStage {
 public:
  WaveNetStage() = default;  // empty, until a model's constructor assigns the real one
  // name: the prefix of its parameters' names ("" or "pre."); field: the config's path in messages
  // ("config", "config.pre"). knob_channels: knob rows under the audio in each input mixer
  // (concat; 0 otherwise). film_head: each array's head is a FiLM site. Checks the config and
  // throws InputError naming the field.
  // condition_size: rows of the condition every array's mixer reads (1: the audio; more: a
  // condition_dsp's output); out_channels: the last head's rows (1 but in a condition_dsp).
  WaveNetStage(ParamLayout& layout, const std::string& name, const std::string& field, const WaveNetConfig& config,
               Index knob_channels, bool film_head, std::vector<Index>& film_sites, Index condition_size = 1,
               Index out_channels = 1);

  const WaveNetConfig& config() const { return config_; }
  // Samples of history read before the current one: the stage maps T + reach() inputs to T outputs.
  Index reach() const;
  double flops() const;  // per output sample, head_scale included

  // x: (in_channels, T + reach()) -> (out_channels, T). cond: the conditioner's column (Var{} without knobs).
  // condition: the mixers' condition (condition_size, >= T + reach()), or Var{} for x itself.
  Var forward(Tape& t, const ParamBuffers& p, Var x, const KnobConditioner& knobs, Var cond,
              Var condition = Var{}) const;

  struct State {
    std::vector<LayerArray::State> arrays;
    ResidualLayer::Scratch scratch;  // shared by every layer
    Mat condition;                   // (condition channels, N): the input, then concat's knobs
    Vec folded_cond;                 // the conditioning folded into the weights in use
  };
  void prepare(const Scalar* params, const KnobConditioner& knobs, int max_block, State& s) const;
  void reset(State& s) const noexcept;
  // in: (in_channels, n) and out: (out_channels, n), n <= max_block samples; they may not alias. cond: the
  // conditioning in use, constant over the block; FiLM is refolded into the weights only when it
  // changed. condition: (condition_size, n), or null for in itself.
  void process(State& s, const KnobConditioner& knobs, const Vec& cond, const Scalar* in, Scalar* out, Index n,
               const Scalar* condition = nullptr) const noexcept;

  // Writes this stage with the knobs' constant effect folded in into dst at to's offsets.
  void bake(const Scalar* src, const KnobConditioner& knobs, const Vec& cond, const WaveNetStage& to,
            Scalar* dst) const;

 private:
  WaveNetConfig config_;
  Index knob_channels_ = 0, condition_size_ = 1, out_channels_ = 1;
  std::vector<LayerArray> arrays_;
};

}  // namespace namk
