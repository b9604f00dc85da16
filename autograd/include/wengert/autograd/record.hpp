// record(): how an op puts its entry on the tape, and what its backward rule sees.
//
// Writing an op: compute the value with tensor kernels, then call record() with the inputs, which
// of them the rule reads (`saves`), and the rule, right below the forward:
//   Var tanh(const Var& x) {
//     return record("tanh", tanh(x.value()), {x}, kSaveOut,
//                   [](auto& c) { c.add(0, c.dout * (1.0 - c.out() * c.out())); });
//   }
// A rule taking `auto& c` is written once and runs twice over: on Tensors (BackwardCtx, plain
// kernels, the ordinary first-order sweep) and on Vars (GraphCtx, every operation recorded) when
// the sweep builds a graph of the gradient (create_graph), which makes second derivatives work.
// A rule taking `BackwardCtx&` is first-order only: create_graph through it throws.
#pragma once

#include <concepts>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "node.hpp"

namespace wengert {

class GraphCtx;
namespace detail {
struct Sweep;
}

// What a rule sees in the ordinary (first-order) sweep: the output gradient, what the entry saved,
// and add() to pass gradients on to its inputs. All Tensors: plain kernels.
class BackwardCtx {
 public:
  const Tensor& dout;  // d(loss)/d(output), the output's shape

  const Tensor& out() const;                   // needs kSaveOut
  const Tensor& in(std::size_t i) const;       // needs kSaveIn<i>
  const Shape& in_shape(std::size_t i) const;  // always available
  DType in_dtype(std::size_t i) const;
  const Tensor& saved(std::string_view name) const;  // an extra tensor given to record()
  // A saved tensor that is a function of the inputs (softmax probabilities): as saved here; the
  // GraphCtx recomputes it differentiably with `recompute`.
  template <class F>
  const Tensor& saved_or(std::string_view name, F&& /*recompute*/) const {
    return saved(name);
  }
  Tensor constant(Tensor t) const { return t; }  // a tensor taking part in the rule's arithmetic
  std::size_t num_inputs() const { return node_.inputs.size(); }
  // Whether input i wants a gradient; skip computing it otherwise.
  bool needs(std::size_t i) const {
    return i < node_.inputs.size() && node_.inputs[i].node->requires_grad;
  }
  // Accumulates g into input i's gradient. g may have the broadcast (output) shape: it is summed
  // down to the input's shape here with sum_to, the one place broadcasting is undone.
  void add(std::size_t i, Tensor g);

  // Set when the sweep builds a graph (create_graph): the rule then runs on this instead.
  GraphCtx* graph() const { return graph_; }
  [[noreturn]] void fail_first_order() const;  // create_graph reached a rule on Tensors only

  BackwardCtx(const Tensor& dout, Node& node, detail::Sweep& sweep, GraphCtx* graph = nullptr)
      : dout(dout), node_(node), sweep_(sweep), graph_(graph) {}

 private:
  friend class GraphCtx;
  Node& node_;
  detail::Sweep& sweep_;
  GraphCtx* graph_;
};

// The same interface on Var, used when the sweep builds a graph (create_graph): in(i) and out()
// are the recorded values themselves, so what the rule computes is differentiable again.
class GraphCtx {
 public:
  const Var& dout;

  Var out() const;
  Var in(std::size_t i) const;
  const Shape& in_shape(std::size_t i) const { return tensors_.in_shape(i); }
  DType in_dtype(std::size_t i) const { return tensors_.in_dtype(i); }
  const Tensor& saved(std::string_view name) const { return tensors_.saved(name); }
  template <class F>
  Var saved_or(std::string_view /*name*/, F&& recompute) const {
    return recompute();
  }
  Var constant(Tensor t) const { return Var(std::move(t)); }
  std::size_t num_inputs() const { return tensors_.num_inputs(); }
  bool needs(std::size_t i) const { return tensors_.needs(i); }
  void add(std::size_t i, Var g);

  GraphCtx(const Var& dout, std::shared_ptr<Node> self, const BackwardCtx& tensors)
      : dout(dout), self_(std::move(self)), tensors_(tensors) {}

 private:
  std::shared_ptr<Node> self_;
  const BackwardCtx& tensors_;
};

template <class Rule>
concept DifferentiableRule =
    std::invocable<Rule&, BackwardCtx&> && std::invocable<Rule&, GraphCtx&>;

namespace detail {
// The rule as the engine calls it: with the context the sweep needs (a generic rule), or on
// Tensors only (a first-order rule, which refuses create_graph).
template <class Rule>
BackwardFn backward_fn(Rule rule) {
  return [rule = std::move(rule)](BackwardCtx& c) mutable {
    if constexpr (DifferentiableRule<Rule>) {
      if (GraphCtx* g = c.graph()) return rule(*g);
    } else {
      if (c.graph()) c.fail_first_order();
    }
    rule(c);
  };
}

Var record_entry(std::string_view op, Tensor value,
                 std::span<const std::reference_wrapper<const Var>> inputs, std::uint8_t saves,
                 BackwardFn backward, std::vector<SavedTensor> saved);
std::vector<std::reference_wrapper<const Var>> refs(std::span<const Var> inputs);
}  // namespace detail

// Records one tape entry on this thread's tape and returns its output. When grad mode is off or
// no input requires a gradient, nothing is recorded and the result is a constant. The entry keeps
// its own copy of the name `op`. The rule is either generic, [](auto& c) {...}, written once for
// Tensors and Vars and so differentiable again under create_graph, or [](BackwardCtx& c) {...},
// first order only. See "Writing your own op" in README.md.
template <class Rule>
Var record(std::string_view op, Tensor value,
           std::initializer_list<std::reference_wrapper<const Var>> inputs, std::uint8_t saves,
           Rule rule, std::vector<SavedTensor> saved = {}) {
  return detail::record_entry(op, std::move(value), {inputs.begin(), inputs.size()}, saves,
                              detail::backward_fn(std::move(rule)), std::move(saved));
}
template <class Rule>
Var record(std::string_view op, Tensor value, std::span<const Var> inputs, std::uint8_t saves,
           Rule rule, std::vector<SavedTensor> saved = {}) {
  return detail::record_entry(op, std::move(value), detail::refs(inputs), saves,
                              detail::backward_fn(std::move(rule)), std::move(saved));
}

}  // namespace wengert
