// Node: one value of the Wengert list and, when an op computed it with grad mode on and some input
// requiring a gradient, the tape entry that produced it: the op's name, its input edges, what its
// backward rule reads (saved) and the rule itself. Every entry has exactly one output value, so the
// entry lives inside its output's node and is freed exactly when nothing can reach that output.
// Ops create entries with record() (record.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "edges.hpp"
#include "engine_marks.hpp"
#include "saved.hpp"
#include "var.hpp"

namespace wengert {

class BackwardCtx;
using BackwardFn = std::function<void(BackwardCtx&)>;

struct Node {
  Tensor value;
  bool requires_grad = false;
  Tensor grad;     // accumulated gradient of a leaf; undefined until a backward reaches it
  Var grad_graph;  // the same, as a differentiable value, after backward(create_graph = true)
  std::string name;

  // --- the tape entry (op empty for a leaf or a constant) ---
  std::string op;
  std::int64_t index = -1;  // position in recording order on its tape (-1: not an entry)
  Edges inputs;
  Saved saved;          // what the rule reads back (saved.hpp)
  BackwardFn backward;  // the rule; null once released

  detail::EngineMarks marks;  // the sweep's and the tape's notes (engine_marks.hpp)

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
