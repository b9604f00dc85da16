// Node: one value of the Wengert list and, when an op computed it with grad mode on and some
// input requiring a gradient, the tape entry that produced it: op name, input edges, saved
// tensors and the backward rule. Every entry has exactly one output value, so the entry lives
// inside its output's node: it is freed exactly when nothing can reach that output any more. An
// op with several outputs (record_outputs below) packs them into that one value.
//
// Writing an op: compute the value with tensor kernels, then call record() with the inputs, which
// of them the backward reads (`saves`), and the backward rule, right below the forward:
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
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "var.hpp"

namespace wengert {

class BackwardCtx;
class GraphCtx;
namespace detail {
struct Sweep;
}
using BackwardFn = std::function<void(BackwardCtx&)>;

// An input of an entry (PyTorch's edge): the input's node and its storage version when recorded.
struct Edge {
  std::shared_ptr<Node> node;
  std::uint64_t version = 0;
};

// The inputs of an entry: up to two stored inline (nearly every op), more on the heap (concat),
// so recording a unary or binary op allocates nothing but its Node.
class Edges {
 public:
  static constexpr std::size_t kInline = 2;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Edge* begin() { return heap_.empty() ? inline_ : heap_.data(); }
  Edge* end() { return begin() + size_; }
  const Edge* begin() const { return heap_.empty() ? inline_ : heap_.data(); }
  const Edge* end() const { return begin() + size_; }
  Edge& operator[](std::size_t i) { return begin()[i]; }
  const Edge& operator[](std::size_t i) const { return begin()[i]; }
  void reserve(std::size_t n) {
    if (n > kInline) heap_.reserve(n);
  }
  void push_back(Edge e) {
    if (heap_.empty() && size_ < kInline) {
      inline_[size_++] = std::move(e);
      return;
    }
    if (heap_.empty())  // spill the inline edges first, keeping the storage contiguous
      for (std::size_t i = 0; i < size_; ++i) heap_.push_back(std::move(inline_[i]));
    heap_.push_back(std::move(e));
    ++size_;
  }
  void clear() {
    for (Edge& e : inline_) e = Edge{};
    heap_.clear();
    size_ = 0;
  }

 private:
  Edge inline_[kInline];
  std::vector<Edge> heap_;
  std::size_t size_ = 0;
};

// An extra tensor a backward needs (a mask, probabilities, indices), with its version when saved.
struct SavedTensor {
  Tensor tensor;
  std::uint64_t version = 0;
};

// Which of an entry's own inputs and output its backward reads: checked at backward time against
// in-place writes (storage version counter), and counted in the tape's "saved bytes".
// Bit i stands for input i (inputs past kSavableInputs cannot be read back), the top bit for the
// output.
enum Saves : std::uint8_t {
  kSaveNone = 0,
  kSaveIn0 = 1 << 0,
  kSaveIn1 = 1 << 1,
  kSaveIn2 = 1 << 2,
  kSaveOut = 1 << 7,
};
inline constexpr std::size_t kSavableInputs = 7;
inline bool saves_input(std::uint8_t saves, std::size_t i) {
  return i < kSavableInputs && (saves & (1u << i)) != 0;
}

struct Node {
  Tensor value;
  Tensor grad;     // accumulated gradient of a leaf; undefined until a backward reaches it
  Var grad_graph;  // the same, as a differentiable value, after backward(create_graph = true)
  std::string name;
  bool requires_grad = false;

  // --- the tape entry (op empty for a leaf or a constant) ---
  std::string op;
  Edges inputs;
  std::uint8_t saves = kSaveNone;  // which inputs and the output the rule reads
  std::uint64_t out_version = 0;   // the output's storage version when recorded
  std::vector<SavedTensor> saved;
  BackwardFn backward;          // the rule; null once released
  bool differentiable = false;  // the rule also runs on Var (GraphCtx): create_graph may sweep it
  std::uint32_t tape_id = 0;    // the recording thread's tape
  std::int64_t index = -1;      // position in recording order on that tape

  // --- where the engine and the hooks keep their state about this node (backward.cpp, hooks.cpp)
  std::uint64_t sweep = 0;  // the last sweep that gave it a gradient ...
  std::uint32_t slot = 0;   // ... and where that sweep keeps the gradient
  bool has_hooks = false;

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

// What a backward rule sees in the ordinary (first-order) sweep: the output gradient, the values
// it saved, and add() to pass gradients on to its inputs. All Tensors: plain kernels.
class BackwardCtx {
 public:
  const Tensor& dout;  // d(loss)/d(output), the output's shape

  const Tensor& out() const;                   // needs kSaveOut
  const Tensor& in(std::size_t i) const;       // needs kSaveIn<i>
  const Shape& in_shape(std::size_t i) const;  // always available
  DType in_dtype(std::size_t i) const;
  const Tensor& saved(std::size_t k) const;  // the k-th extra tensor given to record()
  // A saved tensor that is a function of the inputs (softmax probabilities): as saved here; the
  // GraphCtx recomputes it differentiably with `recompute`.
  template <class F>
  const Tensor& saved_or(std::size_t k, F&& /*recompute*/) const {
    return saved(k);
  }
  Tensor constant(Tensor t) const { return t; }  // a tensor taking part in the rule's arithmetic
  std::size_t num_inputs() const { return node_.inputs.size(); }
  // Whether input i wants a gradient; skip computing it otherwise.
  bool needs(std::size_t i) const;
  // Accumulates g into input i's gradient. g may have the broadcast (output) shape: it is summed
  // down to the input's shape here with sum_to, the one place broadcasting is undone.
  void add(std::size_t i, Tensor g);

  // Set when the sweep builds a graph (create_graph): the rule then runs on this instead.
  GraphCtx* graph() const { return graph_; }

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
  const Tensor& saved(std::size_t k) const { return tensors_.saved(k); }
  template <class F>
  Var saved_or(std::size_t /*k*/, F&& recompute) const {
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

namespace detail {
Var record_entry(std::string_view op, Tensor value,
                 std::span<const std::reference_wrapper<const Var>> inputs, std::uint8_t saves,
                 BackwardFn backward, std::vector<Tensor> saved, bool differentiable);
std::vector<std::reference_wrapper<const Var>> refs(std::span<const Var> inputs);
// record_outputs: the outputs flattened into one value, and views of it (or of its gradient).
Tensor pack(std::string_view op, const std::vector<Tensor>& outputs);
std::vector<Tensor> unpack(const Tensor& packed, const std::vector<Shape>& shapes);
std::vector<Var> unpack(const Var& packed, const std::vector<Shape>& shapes);
}  // namespace detail

template <class Rule>
concept DifferentiableRule =
    std::invocable<Rule&, BackwardCtx&> && std::invocable<Rule&, GraphCtx&>;

namespace detail {
// A rule written once for both contexts is called with the one the sweep needs; a rule on
// BackwardCtx only is first-order.
template <class Rule>
BackwardFn backward_fn(Rule rule) {
  if constexpr (DifferentiableRule<Rule>) {
    return [rule = std::move(rule)](BackwardCtx& c) mutable {
      if (GraphCtx* g = c.graph())
        rule(*g);
      else
        rule(c);
    };
  } else {
    return BackwardFn(std::move(rule));
  }
}
}  // namespace detail

// Records one tape entry on this thread's tape and returns its output. When grad mode is off or
// no input requires a gradient, nothing is recorded and the result is a constant. The entry keeps
// its own copy of the name `op`. The rule is either generic, [](auto& c) {...}, written once for
// Tensors and Vars and so differentiable again under create_graph, or [](BackwardCtx& c) {...},
// first order only. See "Writing your own op" in README.md.
template <class Rule>
Var record(std::string_view op, Tensor value,
           std::initializer_list<std::reference_wrapper<const Var>> inputs, std::uint8_t saves,
           Rule rule, std::vector<Tensor> saved = {}) {
  return detail::record_entry(op, std::move(value), {inputs.begin(), inputs.size()}, saves,
                              detail::backward_fn(std::move(rule)), std::move(saved),
                              DifferentiableRule<Rule>);
}
template <class Rule>
Var record(std::string_view op, Tensor value, std::span<const Var> inputs, std::uint8_t saves,
           Rule rule, std::vector<Tensor> saved = {}) {
  return detail::record_entry(op, std::move(value), detail::refs(inputs), saves,
                              detail::backward_fn(std::move(rule)), std::move(saved),
                              DifferentiableRule<Rule>);
}

// An op with several outputs as one entry. The outputs (floating, one dtype) are packed into the
// entry's single value and each returned Var is a view of it, so the entry's rule sees all their
// gradients at once: it is called as rule(c, douts), douts[k] shaped like outputs[k] (zeros for
// an output that no gradient reached). The rule must be generic ([](auto& c, auto& douts)); c.out()
// is the packed value.
template <class Rule>
std::vector<Var> record_outputs(std::string_view op, std::vector<Tensor> outputs,
                                std::initializer_list<std::reference_wrapper<const Var>> inputs,
                                std::uint8_t saves, Rule rule, std::vector<Tensor> saved = {}) {
  std::vector<Shape> shapes;
  for (const Tensor& t : outputs) shapes.push_back(t.shape());
  auto unpacking = [rule = std::move(rule), shapes](auto& c) mutable {
    auto douts = detail::unpack(c.dout, shapes);
    rule(c, douts);
  };
  const Var packed =
      record(op, detail::pack(op, outputs), inputs, saves, std::move(unpacking), std::move(saved));
  return detail::unpack(packed, shapes);
}

}  // namespace wengert
