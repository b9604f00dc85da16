// Node: one value of the Wengert list and, when an op computed it with grad mode on and some input
// requiring a gradient, the tape entry that produced it: the op's name, its input edges, what its
// backward rule reads (saved) and the rule itself. Every entry has exactly one output value, so the
// entry lives inside its output's node and is freed exactly when nothing can reach that output.
// Ops create entries with record() (record.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "edges.hpp"
#include "var.hpp"

namespace wengert {

class BackwardCtx;
using BackwardFn = std::function<void(BackwardCtx&)>;

// Which of an entry's own inputs and output its rule reads: bit i for input i (the first
// kSavableInputs inputs can be read back), the bit after them for the output.
inline constexpr std::size_t kSavableInputs = 7;
enum Saves : std::uint8_t {
  kSaveNone = 0,
  kSaveIn0 = 1 << 0,
  kSaveIn1 = 1 << 1,
  kSaveIn2 = 1 << 2,
  kSaveOut = 1 << kSavableInputs,
};
inline bool saves_input(std::uint8_t saves, std::size_t i) {
  return i < kSavableInputs && (saves & (1u << i)) != 0;
}

// An extra tensor a rule needs (a mask, indices), named where the op records it and where its rule
// reads it:   record(..., rule, {{"mask", mask}});   ...   c.saved("mask")
struct SavedTensor {
  std::string name;
  Tensor tensor;
  std::uint64_t version = 0;  // its storage version when recorded (set by record)
};

// What an entry keeps for its rule. Checked at backward time against in-place writes (a storage
// version that moved on means the rule would read the wrong values), counted in the tape's
// "saved bytes". The inputs' versions are in their edges.
struct Saved {
  std::uint8_t values = kSaveNone;  // Saves bits: which inputs and whether the output
  std::uint64_t out_version = 0;
  std::vector<SavedTensor> extra;
};

namespace detail {
// Where the engine notes its state about a node (backward.cpp, tape.cpp, hooks.cpp); no rule and
// no user code reads it.
struct EngineMarks {
  std::uint32_t tape = 0;   // the recording thread's tape
  std::uint32_t sweep = 0;  // the last sweep that gave the node a gradient ...
  std::uint32_t slot = 0;   // ... and where that sweep keeps it
  bool has_hooks = false;   // the hooks themselves live in a table in hooks.cpp
};
}  // namespace detail

struct Node {
  Tensor value;
  bool requires_grad = false;
  Tensor grad;     // accumulated gradient of a leaf; undefined until a backward reaches it
  Var grad_graph;  // the same, as a differentiable value, after backward(create_graph = true)
  std::string name;

  // --- the tape entry (op empty for a leaf or a constant) ---
  std::string op;
  std::int64_t index = -1;  // position in recording order on its tape
  Edges inputs;
  Saved saved;
  BackwardFn backward;  // the rule; null once released

  detail::EngineMarks marks;

  bool is_leaf() const { return op.empty(); }
  // Swept by a backward without retain_graph: inputs, saved tensors and rule freed.
  bool released() const { return !is_leaf() && !backward; }
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();
  // Frees inputs, saved tensors and the backward rule; later sweeps through it throw.
  void release();
  // "'h' (tanh, tape #12, shape [2, 3])" for error messages.
  std::string describe() const;
};

}  // namespace wengert
