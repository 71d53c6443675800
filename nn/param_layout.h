// A model's parameter layout: the named tensors of its one flat buffer, registered once, in order,
// when the model is built, so the buffer is exactly NAM's .nam "weights" list (then the knob
// conditioner's). Everything that needs an offset (init, .nam read and write, bake, the layers'
// forward and process, info) asks the layout; nothing computes one by hand.
// Shapes are NAM's (PyTorch's) weight order: conv (out, in, K) with the tap fastest, dense
// (out, in), vectors (n), all row-major.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/tape.h"

namespace namk {

// How init_params() starts a tensor: PyTorch's default (uniform in +-1/sqrt(fan_in)), or zeros.
struct ParamView {
  std::string name;          // "layers[0].layer[3].conv.weight", "film.w1"
  Index offset = 0;          // into the flat buffer
  std::vector<Index> shape;  // NAM's order; the size is their product
  Index fan_in = 0;          // 0: starts at zero
  Index size() const;
};

class ParamLayout {
 public:
  // Appends a tensor after the last one and returns its offset.
  Index add(std::string name, std::vector<Index> shape, Index fan_in);
  const std::vector<ParamView>& views() const { return views_; }
  // Scalars in all views so far.
  Index size() const { return size_; }
  // The view of that name; throws UsageError naming it when there is none.
  const ParamView& view(std::string_view name) const;

 private:
  std::vector<ParamView> views_;
  Index size_ = 0;
};

}  // namespace namk
