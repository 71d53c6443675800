// See tape.h. The arena is a list of chunks filled in order; clear() rewinds to the first chunk.
#include "core/tape.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/error.h"

namespace namk {

namespace {
// The first chunk is small (a test's or a streaming tool's tape stays small); each later chunk is
// at least as large as all before it, so a big training tape needs only a handful.
constexpr size_t kMinChunk = size_t{1} << 14;
// Keep every node 64-byte aligned so SIMD loads never straddle cache lines.
constexpr size_t kAlign = 64 / sizeof(Scalar);
}  // namespace

Scalar* Tape::allocate(size_t n) {
  n = (n + kAlign - 1) / kAlign * kAlign;
  while (chunk_ < chunks_.size()) {
    Chunk& c = chunks_[chunk_];
    if (offset_ + n <= c.size) {
      Scalar* p = c.data.get() + offset_;
      offset_ += n;
      return p;
    }
    ++chunk_;
    offset_ = 0;
  }
  const size_t size = std::max({n, kMinChunk, arena_capacity()});
  Scalar* memory = static_cast<Scalar*>(::operator new[](size * sizeof(Scalar), std::align_val_t{64}));
  chunks_.push_back({std::unique_ptr<Scalar[], AlignedDelete>(memory), size});
  chunk_ = chunks_.size() - 1;
  offset_ = n;
  return chunks_.back().data.get();
}

const Tape::Node& Tape::node(Var v) const {
  if (v.id < 0 || static_cast<size_t>(v.id) >= nodes_.size())
    throw UsageError("tape: variable " + std::to_string(v.id) + " is not on this tape (" +
                     std::to_string(nodes_.size()) + " nodes)");
  return nodes_[v.id];
}

Var Tape::add_node(const Node& n) {
  nodes_.push_back(n);
  return Var{static_cast<int32_t>(nodes_.size() - 1)};
}

Var Tape::output(Index rows, Index cols, bool requires_grad) {
  Node n{rows, cols, allocate(static_cast<size_t>(rows * cols)), nullptr};
  if (requires_grad) {
    n.grad = allocate(static_cast<size_t>(rows * cols));
    std::fill_n(n.grad, rows * cols, Scalar(0));
  }
  return add_node(n);
}

Var Tape::output_sharing_grad(Index rows, Index cols, Scalar* grad) {
  return add_node(Node{rows, cols, allocate(static_cast<size_t>(rows * cols)), grad});
}

Var Tape::output_in_place(Index rows, Index cols, Scalar* value, Scalar* grad) {
  return add_node(Node{rows, cols, value, grad});
}

Var Tape::constant(ConstMatRef x, bool requires_grad) {
  Var v = output(x.rows(), x.cols(), requires_grad);
  value(v) = x;
  return v;
}

Var Tape::parameter(Scalar* value, Scalar* grad, Index rows, Index cols) {
  return add_node(Node{rows, cols, value, grad});
}

MatMap Tape::value(Var v) {
  const Node& n = node(v);
  return MatMap(n.value, n.rows, n.cols);
}

ConstMatMap Tape::value(Var v) const {
  const Node& n = node(v);
  return ConstMatMap(n.value, n.rows, n.cols);
}

MatMap Tape::grad(Var v) {
  const Node& n = node(v);
  if (!n.grad) throw UsageError("tape: gradient requested for a node that does not track one");
  return MatMap(n.grad, n.rows, n.cols);
}

void Tape::backward(Var loss) {
  const Node& n = node(loss);
  if (n.rows != 1 || n.cols != 1)
    throw UsageError("tape: backward() needs a 1x1 loss, found " + std::to_string(n.rows) + "x" +
                     std::to_string(n.cols));
  if (!n.grad) return;  // nothing on the tape requires a gradient
  n.grad[0] += Scalar(1);
  for (auto it = records_.rbegin(); it != records_.rend(); ++it)
    if (requires_grad(it->out)) it->backward(*this, *it);
}

void Tape::clear() {
  nodes_.clear();
  records_.clear();
  chunk_ = 0;
  offset_ = 0;
}

size_t Tape::arena_capacity() const {
  size_t total = 0;
  for (const auto& c : chunks_) total += c.size;
  return total;
}

}  // namespace namk
