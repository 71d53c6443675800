// NAM's WaveNet: a chain of layer arrays (rechannel -> dilated gated/ungated residual layers with a
// head accumulator -> head rechannel), output = head_scale x the last head. Knobs modulate each
// layer's pre-activation z (FiLM) or join the input mixer's condition (concat).
// Parameters, NAM's order: per layer array: rechannel (C, in); per layer: conv (Cz, C, K), conv
// bias (Cz), input mixer (Cz, condition), 1x1 (C, C), 1x1 bias (C); head rechannel (H, C)
// (+ bias (H) when head_bias). head_scale is a config constant, not a parameter.
// Streaming keeps, per layer, a linear ring buffer of its input (see history.h).
#pragma once

#include "nn/history.h"
#include "nn/model.h"

namespace namk {

class WaveNet final : public Model {
 public:
  explicit WaveNet(const ModelConfig& config);

  Index receptive_field() const override;
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;
  std::unique_ptr<Model> baked(std::span<const double> knob_values) const override;  // wavenet_bake.cpp

 private:
  // Offsets of the layer's tensors in params_ (registered in layout_) and, for FiLM, the site index.
  struct Layer {
    Index dilation = 1;
    Index conv_weight = 0, conv_bias = 0, mixer_weight = 0, out_weight = 0, out_bias = 0;
    size_t film_site = 0;
  };
  struct Array {
    LayerArrayConfig config;
    Index condition_channels = 1;
    Index rechannel_weight = 0, head_weight = 0, head_bias = -1;
    size_t head_film_site = 0;
    std::vector<Layer> layers;
  };
  // Streaming state: packed weights and history of each layer, scratch of each array. The weights
  // in use have the current FiLM gamma and beta folded in (fold_film); with FiLM, the *_plain
  // copies keep the unmodulated weights that each fold starts from.
  struct LayerStream {
    Mat conv_weight, conv_bias, mixer_weight, out_weight, out_bias;
    Mat conv_plain, conv_bias_plain, mixer_plain;  // FiLM only
    History input;  // the layer's input h
  };
  struct ArrayStream {
    Mat rechannel_weight, head_weight, head_bias;
    Mat head_weight_plain, head_bias_plain;  // FiLM on the head only
    std::vector<LayerStream> layers;
    Mat head, head_out, out;  // (C, N), (H, N), (C, N)
  };

  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;
  void fold_film(const Vec& cond) noexcept;

  Index z_channels(const Array& a) const { return a.config.gated ? 2 * a.config.channels : a.config.channels; }

  std::vector<Array> arrays_;
  std::vector<ArrayStream> streams_;
  Mat z_, post_, a_, condition_;  // (max Cz, N) twice, (max C, N), (condition channels, N)
  Vec folded_cond_;                // the conditioning folded into the weights in use
};

}  // namespace namk
