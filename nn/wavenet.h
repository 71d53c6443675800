// NAM's WaveNet: a chain of layer arrays (nn/layers/layer_array.h), output = head_scale x the last
// array's head. Knobs modulate each layer's pre-activation z (FiLM) or join the input mixer's
// condition (concat). Parameters: each array's, in order (NAM's .nam "weights" order); head_scale
// is a config constant, not a parameter. Streaming keeps, per layer, a linear ring buffer of its
// input (see history.h).
#pragma once

#include "nn/layers/layer_array.h"
#include "nn/model.h"

namespace namk {

class WaveNet final : public Model {
 public:
  explicit WaveNet(const ModelConfig& config);

  Index receptive_field() const override;
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;
  std::unique_ptr<Model> baked(std::span<const double> knob_values) const override;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;
  void fold_film(const Vec& cond) noexcept;

  std::vector<LayerArray> arrays_;
  std::vector<LayerArray::State> states_;
  ResidualLayer::Scratch scratch_;  // shared by every layer
  Mat condition_;                   // (condition channels, N): the audio, then concat's knobs
  Vec folded_cond_;                 // the conditioning folded into the weights in use
};

}  // namespace namk
