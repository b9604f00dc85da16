// The engine: one reverse sweep over the entries reachable from the roots.
//
// Entries are visited in decreasing tape index, i.e. reverse recording order, which is a reverse
// topological order: every consumer of a value was recorded after it, so by the time an entry is
// popped all gradient contributions to its output have arrived (summed into Node::pending). Only
// entries that receive a gradient are visited: a max-heap on the tape index holds them.
#include <algorithm>
#include <span>
#include <unordered_map>
#include <wengert/autograd/anomaly.hpp>
#include <wengert/autograd/backward.hpp>
#include <wengert/autograd/node.hpp>
#include <wengert/autograd/ops.hpp>

namespace wengert {

namespace {
using Ready = std::pair<std::int64_t, Node*>;  // (tape index, entry)

// The sweep's work lists. Kept per thread and reused, so a backward allocates nothing for its own
// bookkeeping once warm; a nested sweep (a hook calling backward) gets fresh ones.
struct Buffers {
  std::vector<std::shared_ptr<Node>> touched;
  std::vector<Ready> ready;
  std::vector<Node*> leaves;
};
thread_local Buffers cached_buffers;
thread_local bool cached_in_use = false;
}  // namespace

namespace detail {
struct Sweep {
  bool create_graph = false;  // record the rules (GraphCtx), so the gradients have a graph
  bool retain_graph = false;
  bool accumulate_into_grad = true;  // backward(); grad() only reads the captured gradients
  bool owns_cache = false;
  std::vector<std::shared_ptr<Node>> touched;  // every node given a gradient: kept alive here
  std::vector<Ready> ready;                    // max-heap of entries, highest tape index first
  std::vector<Node*> leaves;
  std::vector<Node*> capture;  // grad(): the nodes whose gradient is returned
  std::vector<Tensor> captured;
  // create_graph: each touched node's gradient as a Var (the Tensor fields above stay unused).
  struct GraphGrad {
    std::shared_ptr<Node> node;
    Var grad;
  };
  std::unordered_map<const Node*, GraphGrad> graph_grads;
  std::vector<Var> captured_graph;

  Sweep() {
    if (cached_in_use) return;
    cached_in_use = owns_cache = true;
    touched.swap(cached_buffers.touched);
    ready.swap(cached_buffers.ready);
    leaves.swap(cached_buffers.leaves);
  }

  ~Sweep() {  // also on error: leave no gradient behind in the nodes
    for (auto& n : touched) {
      n->pending = Tensor();
      n->pending_owned = false;
    }
    if (!owns_cache) return;
    touched.clear();
    ready.clear();
    leaves.clear();
    touched.swap(cached_buffers.touched);
    ready.swap(cached_buffers.ready);
    leaves.swap(cached_buffers.leaves);
    cached_in_use = false;
  }

  void accumulate(const std::shared_ptr<Node>& node, Tensor g) {
    if (!node->pending.defined()) {
      node->pending = std::move(g);
      node->pending_owned = false;  // may alias another gradient: never written in place
      touched.push_back(node);
      if (node->is_leaf()) {
        leaves.push_back(node.get());
      } else {
        ready.emplace_back(node->index, node.get());
        std::push_heap(ready.begin(), ready.end());
      }
    } else if (node->pending_owned) {
      node->pending.add_(g);
    } else {
      node->pending = add(node->pending, g);
      node->pending_owned = true;
    }
  }

  void accumulate(const std::shared_ptr<Node>& node, Var g) {
    auto [it, fresh] = graph_grads.try_emplace(node.get(), GraphGrad{node, g});
    if (!fresh) {
      it->second.grad = add(it->second.grad, g);
      return;
    }
    touched.push_back(node);
    if (node->is_leaf()) {
      leaves.push_back(node.get());
    } else {
      ready.emplace_back(node->index, node.get());
      std::push_heap(ready.begin(), ready.end());
    }
  }

  // Hooks and capture, once a node's gradient is complete.
  void finish(Node& node) {
    if (create_graph) {
      GraphGrad& g = graph_grads.at(&node);
      for (const GradHook& hook : node.hooks) {  // a replacement is taken as a constant
        Tensor replaced = hook(g.grad.value());
        if (replaced.defined()) {
          if (replaced.shape() != node.value.shape())
            fail("hook on ", node.describe(), " returned a gradient of shape ",
                 shape_str(replaced.shape()));
          g.grad = Var(std::move(replaced));
        }
      }
      for (std::size_t i = 0; i < capture.size(); ++i)
        if (capture[i] == &node) captured_graph[i] = g.grad;
      return;
    }
    for (const GradHook& hook : node.hooks) {
      Tensor replaced = hook(node.pending);
      if (replaced.defined()) {
        if (replaced.shape() != node.value.shape())
          fail("hook on ", node.describe(), " returned a gradient of shape ",
               shape_str(replaced.shape()));
        node.pending = std::move(replaced);
        node.pending_owned = false;
      }
    }
    for (std::size_t i = 0; i < capture.size(); ++i)
      if (capture[i] == &node) captured[i] = node.pending;
  }

  void check_versions(const Node& n) const {
    auto fail_version = [&](const std::string& what, std::uint64_t then, std::uint64_t now) {
      fail("backward: ", what, " saved by ", n.op, " (tape #", n.index,
           ") was modified in place after it was saved (version ", then, " -> ", now,
           "); its gradient would be wrong. Modify a clone() instead, or do the in-place update "
           "after backward.");
    };
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const Edge& e = n.inputs[i];
      if (saves_input(n.saves, i) && e.node->value.version() != e.version)
        fail_version("input " + std::to_string(i) + " " + e.node->describe(), e.version,
                     e.node->value.version());
    }
    if ((n.saves & kSaveOut) && n.value.version() != n.out_version)
      fail_version("its output", n.out_version, n.value.version());
    for (std::size_t k = 0; k < n.saved.size(); ++k)
      if (n.saved[k].tensor.version() != n.saved[k].version)
        fail_version("saved tensor " + std::to_string(k), n.saved[k].version,
                     n.saved[k].tensor.version());
  }

  void run(std::span<const Var> roots, std::span<const Tensor> douts) {
    check(douts.empty() || douts.size() == roots.size(), "backward: ", roots.size(), " roots but ",
          douts.size(), " output gradients");
    for (std::size_t i = 0; i < roots.size(); ++i) {
      const Var& root = roots[i];
      check(root.defined(), "backward: root ", i, " is undefined");
      const Node& n = *root.node();
      if (!n.requires_grad)
        fail(
            "backward: ", n.describe(),
            " does not require grad (no input of the ops that computed it requires grad, or it was "
            "computed under NoGradGuard)");
      Tensor dout;
      if (douts.empty() || !douts[i].defined()) {
        if (n.value.numel() != 1)
          fail("backward: ", n.describe(),
               " is not a single element; pass its gradient explicitly");
        dout = ones(n.value.shape(), n.value.dtype());
      } else {
        if (douts[i].shape() != n.value.shape())
          fail("backward: gradient shape ", shape_str(douts[i].shape()), " differs from ",
               n.describe());
        dout = douts[i].dtype() == n.value.dtype() ? douts[i] : douts[i].to(n.value.dtype());
      }
      if (create_graph)
        accumulate(root.node(), Var(std::move(dout)));
      else
        accumulate(root.node(), std::move(dout));
    }
    if (create_graph) retain_graph = true;
    GradModeGuard record_rules(create_graph);

    while (!ready.empty()) {
      std::pop_heap(ready.begin(), ready.end());
      Node& n = *ready.back().second;
      ready.pop_back();
      if (n.released)
        fail("backward: trying to backward through ", n.describe(),
             " a second time, but the previous backward already freed its saved tensors. Pass "
             "BackwardOptions{.retain_graph = true} to the first backward if you need to sweep "
             "twice, or detach() values carried across steps (e.g. an RNN's hidden state).");
      finish(n);
      check_versions(n);
      if (create_graph) {
        if (!n.differentiable)
          fail("backward: ", n.describe(),
               " has a first-order backward rule (written on Tensors only), so create_graph "
               "cannot differentiate through it; write its rule as [](auto& c) (node.hpp)");
        const GraphGrad& g = graph_grads.at(&n);
        BackwardCtx tensors(g.grad.value(), n, *this);
        GraphCtx graph(g.grad, g.node, tensors);
        BackwardCtx ctx(g.grad.value(), n, *this, &graph);
        n.backward(ctx);
        continue;
      }
      BackwardCtx ctx(n.pending, n, *this);
      n.backward(ctx);
      n.pending = Tensor();  // the gradient of an intermediate value is no longer needed
      n.pending_owned = false;
      if (!retain_graph) n.release();
    }

    for (Node* leaf : leaves) {
      finish(*leaf);
      if (!accumulate_into_grad || !leaf->requires_grad) continue;
      if (create_graph) {
        const Var& g = graph_grads.at(leaf).grad;
        leaf->grad_graph = leaf->grad_graph.defined() ? add(leaf->grad_graph, g) : g;
        leaf->grad = leaf->grad_graph.value().clone();
        continue;
      }
      leaf->grad_graph = Var();  // a first-order sweep: grad() is newer than any graph
      if (!leaf->grad.defined()) {
        // The new grad must own its buffer: the optimizer updates it in place, and the next
        // backward adds into it, so it must not alias a gradient of the sweep (or a broadcast
        // view).
        leaf->grad = leaf->pending_owned && leaf->pending.is_contiguous() ? leaf->pending
                                                                          : leaf->pending.clone();
      } else {
        leaf->grad.add_(leaf->pending);
      }
    }
  }
};
}  // namespace detail

using detail::Sweep;

// --- BackwardCtx ---

namespace {
const Tensor& input_value(const Node& n, std::size_t i) {
  check(i < n.inputs.size(), n.op, " backward: input ", i, " out of range");
  return n.inputs[i].node->value;
}
}  // namespace

const Tensor& BackwardCtx::out() const {
  check(node_.saves & kSaveOut, node_.op, " backward: reads its output without kSaveOut");
  return node_.value;
}
const Tensor& BackwardCtx::in(std::size_t i) const {
  check(saves_input(node_.saves, i), node_.op, " backward: reads input ", i, " without saving it");
  return input_value(node_, i);
}
const Shape& BackwardCtx::in_shape(std::size_t i) const { return input_value(node_, i).shape(); }
DType BackwardCtx::in_dtype(std::size_t i) const { return input_value(node_, i).dtype(); }
const Tensor& BackwardCtx::saved(std::size_t k) const {
  check(k < node_.saved.size(), node_.op, " backward: saved tensor ", k, " out of range");
  return node_.saved[k].tensor;
}
bool BackwardCtx::needs(std::size_t i) const {
  return i < node_.inputs.size() && node_.inputs[i].node->requires_grad;
}

void BackwardCtx::add(std::size_t i, Tensor g) {
  if (!needs(i)) return;
  const std::shared_ptr<Node>& input = node_.inputs[i].node;
  if (g.shape() != input->value.shape()) g = sum_to(g, input->value.shape());
  if (anomaly_enabled()) detail::check_backward(node_, i, g);
  sweep_.accumulate(input, std::move(g));
}

// --- GraphCtx ---

Var GraphCtx::out() const {
  check(self_->saves & kSaveOut, self_->op, " backward: reads its output without kSaveOut");
  return Var(self_);
}
Var GraphCtx::in(std::size_t i) const {
  tensors_.in(i);  // checks that input i was saved
  return Var(self_->inputs[i].node);
}

void GraphCtx::add(std::size_t i, Var g) {
  if (!needs(i)) return;
  const std::shared_ptr<Node>& input = self_->inputs[i].node;
  if (g.shape() != input->value.shape()) g = sum_to(g, input->value.shape());
  if (anomaly_enabled()) detail::check_backward(*self_, i, g.value());
  tensors_.sweep_.accumulate(input, std::move(g));
}

// --- entry points ---

namespace {
void configure(Sweep& sweep, const BackwardOptions& options) {
  sweep.create_graph = options.create_graph;
  sweep.retain_graph = options.retain_graph;
}
}  // namespace

void backward(const std::vector<Var>& roots, const std::vector<Tensor>& douts,
              const BackwardOptions& options) {
  Sweep sweep;
  configure(sweep, options);
  sweep.run(roots, douts);
}

void Var::backward(const BackwardOptions& options) const {
  Sweep sweep;
  configure(sweep, options);
  sweep.run(std::span<const Var>(this, 1), {});
}
void Var::backward(const Tensor& dout, const BackwardOptions& options) const {
  Sweep sweep;
  configure(sweep, options);
  sweep.run(std::span<const Var>(this, 1), std::span<const Tensor>(&dout, 1));
}

std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Tensor>& douts, const BackwardOptions& options) {
  Sweep sweep;
  configure(sweep, options);
  sweep.accumulate_into_grad = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Var& in = inputs[i];
    check(in.defined(), "grad: input ", i, " is undefined");
    if (!in.requires_grad() && !options.allow_unused)
      fail("grad: input ", i, " ", in.node()->describe(),
           " does not require a gradient; pass allow_unused = true to get zeros for it");
    sweep.capture.push_back(in.node().get());
  }
  sweep.captured.resize(inputs.size());
  sweep.captured_graph.resize(inputs.size());
  sweep.run(outputs, douts);
  std::vector<Var> result(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (options.create_graph && sweep.captured_graph[i].defined())
      result[i] = sweep.captured_graph[i];
    else if (sweep.captured[i].defined())
      result[i] = Var(sweep.captured[i].clone());
    else
      result[i] = Var(zeros_like(inputs[i].value()));
  }
  return result;
}

}  // namespace wengert
