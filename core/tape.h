// The tape: a Wengert list for reverse-mode autodiff. Ops append their output node and a backward
// record in execution order; backward() walks the records in reverse, so no graph search is needed.
// Invariants: node values and gradients live in the tape's arena (or, for parameters, in caller-owned
// flat buffers); clear() rewinds the arena without freeing it, so a training step with the same
// shapes allocates nothing after the first. One tape belongs to one thread; tapes share nothing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/scalar.h"

namespace namk {

// A handle to a node on a tape. Cheap to copy; valid until the tape is cleared.
struct Var {
  int32_t id = -1;
  bool valid() const { return id >= 0; }
};

class Tape;

// One backward step. A plain function pointer (a capture-less lambda) plus the few numbers it needs,
// so recording an op never allocates: the op's inputs, output and integer/real attributes.
// A fused op (residual_layer) has more inputs and outputs: `more` holds its further outputs and
// saved tensors; backward runs when `out` tracks a gradient.
struct OpRecord {
  using Backward = void (*)(Tape& tape, const OpRecord& op);
  Backward backward = nullptr;
  Var out;
  std::array<Var, 8> in{};
  std::array<Index, 3> ints{};
  Scalar real = 0;
  std::array<Var, 4> more{};
};

class Tape {
 public:
  Tape() = default;
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // A leaf holding a copy of x (inputs, targets, knob values). requires_grad for gradient checks.
  Var constant(ConstMatRef x, bool requires_grad = false);
  // A parameter whose value and gradient live in caller-owned memory (views into flat buffers).
  // Backward accumulates (+=) into grad, so several tapes' gradients can be summed by the caller.
  Var parameter(Scalar* value, Scalar* grad, Index rows, Index cols);
  // A fresh node of the given shape; its value is uninitialised, its gradient zeroed if tracked.
  Var output(Index rows, Index cols, bool requires_grad);
  // A fresh node whose gradient is not its own: it is the (rows, cols) block of memory at grad,
  // part of another node's gradient. For outputs that pass their gradient straight through to
  // columns of an input (a residual or skip connection): backward contributions then land in the
  // input's gradient with no copy and no zeroing. The op that creates it owns the reasoning.
  Var output_sharing_grad(Index rows, Index cols, Scalar* grad);
  // A fresh node whose value is the (rows, cols) block of memory at value, part of another node's
  // value, and whose gradient is the block at grad (none when grad is null). For an op that updates
  // an input in place because its caller guarantees that nothing reads that input's value again (a
  // layer array's skip sum): the input node's value changes under it. The caller owns the reasoning.
  Var output_in_place(Index rows, Index cols, Scalar* value, Scalar* grad);

  MatMap value(Var v);
  ConstMatMap value(Var v) const;
  MatMap grad(Var v);  // only for nodes that require a gradient
  bool requires_grad(Var v) const { return node(v).grad != nullptr; }
  Index rows(Var v) const { return node(v).rows; }
  Index cols(Var v) const { return node(v).cols; }

  void record(const OpRecord& op) { records_.push_back(op); }

  // Seeds d(loss)/d(loss) = 1 for a 1x1 loss and runs every record in reverse order.
  void backward(Var loss);

  // Forgets every node and record but keeps all memory for the next step.
  void clear();

  size_t size() const { return nodes_.size(); }
  // Scalars the arena holds (grows to the high-water mark of the largest step).
  size_t arena_capacity() const;

 private:
  struct Node {
    Index rows = 0, cols = 0;
    Scalar* value = nullptr;
    Scalar* grad = nullptr;  // null: no gradient flows to this node
  };
  // Chunks are never freed or moved while the tape lives, so node pointers stay valid.
  struct AlignedDelete {
    void operator()(Scalar* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  struct Chunk {
    std::unique_ptr<Scalar[], AlignedDelete> data;
    size_t size = 0;
  };

  const Node& node(Var v) const;
  Var add_node(const Node& n);
  Scalar* allocate(size_t n);

  std::vector<Node> nodes_;
  std::vector<OpRecord> records_;
  std::vector<Chunk> chunks_;
  size_t chunk_ = 0;   // chunk currently being filled
  size_t offset_ = 0;  // scalars used in that chunk
};

}  // namespace namk
