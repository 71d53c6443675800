// See param_layout.h.
#include "nn/param_layout.h"

#include "base/error.h"

namespace namk {

Index ParamView::size() const {
  Index n = 1;
  for (Index d : shape) n *= d;
  return n;
}

Index ParamLayout::add(std::string name, std::vector<Index> shape, Index fan_in) {
  ParamView v{std::move(name), size_, std::move(shape), fan_in};
  size_ += v.size();
  views_.push_back(std::move(v));
  return views_.back().offset;
}

const ParamView& ParamLayout::view(std::string_view name) const {
  for (const ParamView& v : views_)
    if (v.name == name) return v;
  throw UsageError("parameter layout: no tensor named '" + std::string(name) + "'");
}

}  // namespace namk
