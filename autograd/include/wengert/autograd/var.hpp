// Var: the value type of the autograd. A cheap handle (one shared_ptr) to a Node that holds a
// Tensor value, whether it requires a gradient, its accumulated .grad and, when an op computed it
// with grad mode on, the tape entry that records how (node.hpp).
//   Var w(normal({3, 4}, 0, 1, gen), /*requires_grad=*/true);
//   Var loss = sum(tanh(matmul(x, w)));
//   loss.backward();          // w.grad() now holds d loss / d w
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <wengert/tensor.hpp>

#include "grad_mode.hpp"

namespace wengert {

struct Node;

struct BackwardOptions {
  // Record the sweep itself, so the gradients are differentiable Vars (second derivatives,
  // gradient penalties). Every rule on the way must be differentiable (see record.hpp); implies
  // retain_graph, as the new graph reads the swept values.
  bool create_graph = false;
  // Keep the swept entries and their saved tensors, so backward can run through them again.
  bool retain_graph = false;
  // grad() only: an input that does not require a gradient gets zeros instead of an error.
  bool allow_unused = false;
};

class Var {
 public:
  Var() = default;  // undefined: defined() == false
  // A leaf: a value not computed by a recorded op (a parameter, an input, a constant).
  explicit Var(Tensor value, bool requires_grad = false, std::string name = {});
  explicit Var(std::shared_ptr<Node> node) : node_(std::move(node)) {}

  bool defined() const { return node_ != nullptr; }
  const Tensor& value() const;
  // d(output)/d(this) accumulated by backward() (leaves only); undefined until set.
  const Tensor& grad() const;
  void set_grad(Tensor grad) const;
  // In-place access for updates outside the graph (optimizer steps, gradient clipping). Writes
  // bump the storage version, so a graph that saved the old value refuses to backward.
  Tensor& mutable_value() const;
  Tensor& mutable_grad() const;
  void zero_grad() const;  // grad() becomes undefined again (like PyTorch's set_to_none)
  // After backward(create_graph = true): the accumulated gradient as a Var whose graph reaches
  // back to the leaves (differentiate it again); otherwise grad() as a constant. Like PyTorch,
  // this graph refers to the leaf itself: zero_grad() breaks that cycle and frees it.
  Var differentiable_grad() const;
  bool requires_grad() const;
  bool is_leaf() const;             // not the output of a recorded op
  std::string_view op() const;      // the op that recorded it, or "leaf"
  const std::string& name() const;  // "" unless named
  const Var& set_name(std::string name) const;

  // Shorthands for value().shape() and friends.
  const Shape& shape() const;
  std::int64_t dim() const;
  std::int64_t size(std::int64_t axis) const;
  std::int64_t numel() const;
  DType dtype() const;
  double item() const;

  // Turns gradient tracking on or off for a leaf (throws for a recorded value).
  const Var& requires_grad_(bool on = true) const;
  // A new leaf sharing this value's storage, cut from the graph: gradients stop here. Use it for
  // state carried across training steps (truncated BPTT), so old graphs can be freed.
  Var detach() const;

  // Reverse-mode sweep from this value (a one-element value, or pass d(loss)/d(this) as `dout`),
  // accumulating into grad() of every leaf with requires_grad. See backward.hpp.
  void backward(const BackwardOptions& options = {}) const;
  void backward(const Tensor& dout, const BackwardOptions& options = {}) const;

  const std::shared_ptr<Node>& node() const { return node_; }

 private:
  std::shared_ptr<Node> node_;
};

std::ostream& operator<<(std::ostream& out, const Var& v);

}  // namespace wengert
