// The engine: one reverse sweep over the entries reachable from the roots.
//
// Entries are visited in decreasing tape index, i.e. reverse recording order, which is a reverse
// topological order: every consumer of a value was recorded after it, so by the time an entry is
// popped all gradient contributions to its output have arrived (summed into its slot). Only
// entries that receive a gradient are visited: a max-heap on the tape index holds them.
#include <algorithm>
#include <atomic>
#include <span>
#include <wengert/autograd/anomaly.hpp>
#include <wengert/autograd/backward.hpp>
#include <wengert/autograd/hooks.hpp>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "hooked_leaves.hpp"
#include "sweep.hpp"

namespace wengert {

namespace detail {
// A node given a gradient in this sweep, with that gradient summed so far: a Tensor in the
// ordinary sweep, a Var when the sweep builds a graph (create_graph).
struct Slot {
  std::shared_ptr<Node> node;  // kept alive until the sweep ends
  Tensor grad{};
  bool owned = false;  // grad is a buffer this sweep allocated, so it may be added to in place
  Var graph_grad{};
  bool finished = false;  // hooks run and gradient captured: complete

  // Whether grad may be written in place or kept as grad() without a copy: the sweep allocated
  // it, or it is a whole buffer that no other tensor refers to (a rule's fresh result, handed
  // over with std::move: nothing else can see a change to it). Saves the copy of a weight
  // gradient every step (4 MiB for an RNN's 1024 x 1024 w_hh).
  bool writable() const {
    if (owned) return true;
    const auto& storage = grad.storage();
    return storage != nullptr && storage.use_count() == 1 && grad.is_contiguous() &&
           grad.offset() == 0 &&
           static_cast<std::size_t>(grad.numel()) * dtype_size(grad.dtype()) == storage->bytes();
  }
};
}  // namespace detail

namespace {
using detail::Slot;
using Ready = std::pair<std::int64_t, std::size_t>;  // (tape index, slot)

// The sweep's work lists. Kept per thread and reused, so a backward allocates nothing for its own
// bookkeeping once warm; a nested sweep (a hook calling backward) gets fresh ones.
struct Buffers {
  std::vector<Slot> slots;
  std::vector<Ready> ready;         // max-heap of entries, highest tape index first
  std::vector<std::size_t> leaves;  // slots of leaves
};
thread_local Buffers cached_buffers;
thread_local bool cached_in_use = false;
std::atomic<std::uint32_t> next_sweep_id{detail::kFirstId};
}  // namespace

namespace detail {
struct Sweep : Buffers {
  BackwardOptions options;
  Capture* capture;  // grad(): hand the gradients back instead of adding them into grad()
  std::uint32_t id = next_sweep_id.fetch_add(1);
  bool owns_cache = false;
  HookedLeaves hooked_leaves;  // finishes a hooked leaf once it is complete (hooked_leaves.hpp)

  Sweep(const BackwardOptions& o, Capture* c) : options(o), capture(c) {
    if (options.create_graph) options.retain_graph = true;  // the new graph reads swept values
    if (cached_in_use) return;
    cached_in_use = owns_cache = true;
    std::swap<Buffers>(*this, cached_buffers);
  }

  ~Sweep() {  // also on error
    if (!owns_cache) return;
    slots.clear();
    ready.clear();
    leaves.clear();
    std::swap<Buffers>(*this, cached_buffers);
    cached_in_use = false;
  }

  // The slot of a node receiving its first gradient: queued for its rule, or noted as a leaf.
  Slot& open(const std::shared_ptr<Node>& node) {
    node->marks.sweep = id;
    node->marks.slot = static_cast<std::uint32_t>(slots.size());
    if (node->is_leaf()) {
      leaves.push_back(slots.size());
    } else {
      ready.emplace_back(node->index, slots.size());
      std::push_heap(ready.begin(), ready.end());
    }
    return slots.emplace_back(Slot{.node = node});
  }

  void accumulate(const std::shared_ptr<Node>& node, Tensor g) {
    if (node->marks.sweep != id) {
      open(node).grad = std::move(g);  // may alias another gradient: never written in place
    } else if (Slot& s = slots[node->marks.slot]; s.writable()) {
      s.grad.add_(g);
      s.owned = true;
    } else {
      s.grad = add(s.grad, g);
      s.owned = true;
    }
    if (hooked_leaves.last_contribution(*node)) finish(slots[node->marks.slot]);
  }

  void accumulate(const std::shared_ptr<Node>& node, Var g) {
    if (node->marks.sweep != id) {
      open(node).graph_grad = std::move(g);
    } else {
      Slot& s = slots[node->marks.slot];
      s.graph_grad = add(s.graph_grad, g);
    }
    if (hooked_leaves.last_contribution(*node)) finish(slots[node->marks.slot]);
  }

  // Once a node's gradient is complete: its hooks may replace it (under create_graph, by a
  // constant), and grad() captures it.
  void finish(Slot& s) {
    if (s.finished) return;
    s.finished = true;
    if (s.node->marks.has_hooks) {
      Tensor replaced = run_hooks(*s.node, options.create_graph ? s.graph_grad.value() : s.grad);
      if (replaced.defined() && options.create_graph) s.graph_grad = Var(std::move(replaced));
      if (replaced.defined() && !options.create_graph) s.grad = std::move(replaced);
      if (replaced.defined()) s.owned = false;
    }
    for (std::size_t i = 0; capture != nullptr && i < capture->nodes.size(); ++i)
      if (capture->nodes[i] == s.node.get())
        capture->grads[i] = options.create_graph ? s.graph_grad : Var(s.grad);
  }

  // d(loss)/d(root i): douts[i] when given, or 1 for a one-element root.
  static Tensor root_gradient(std::size_t i, const Var& root, std::span<const Tensor> douts) {
    check(root.defined(), "backward: root ", i, " is undefined");
    const Node& n = *root.node();
    if (!n.requires_grad)
      fail("backward: ", n.describe(),
           " does not require grad (no input of the ops that computed it requires grad, or it was "
           "computed under NoGradGuard)");
    if (i >= douts.size() || !douts[i].defined()) {
      if (n.value.numel() != 1)
        fail("backward: ", n.describe(), " is not a single element; pass its gradient explicitly");
      return ones(n.value.shape(), n.value.dtype());
    }
    const Tensor& dout = douts[i];
    if (dout.shape() != n.value.shape())
      fail("backward: gradient shape ", shape_str(dout.shape()), " differs from ", n.describe());
    return dout.dtype() == n.value.dtype() ? dout : dout.to(n.value.dtype());
  }

  // Runs the rule of the entry in slot k with its complete output gradient.
  void run_rule(std::size_t k) {
    Node& n = *slots[k].node;
    if (n.released())
      fail("backward: trying to backward through ", n.describe(),
           " a second time, but the previous backward already freed its saved tensors. Pass "
           "BackwardOptions{.retain_graph = true} to the first backward if you need to sweep "
           "twice, or detach() values carried across steps (e.g. an RNN's hidden state).");
    finish(slots[k]);
    check_saved_versions(n);
    if (!options.create_graph) {
      const Tensor dout = std::move(slots[k].grad);  // freed after the rule: no longer needed
      BackwardCtx ctx(dout, n, *this);
      n.backward(ctx);
      if (!options.retain_graph) n.release();
      return;
    }
    const Var dout = slots[k].graph_grad;
    BackwardCtx tensors(dout.value(), n, *this);
    GraphCtx graph(dout, slots[k].node, tensors);
    BackwardCtx ctx(dout.value(), n, *this, &graph);
    n.backward(ctx);
  }

  // Adds a leaf's complete gradient into its grad() (and, under create_graph, its graph).
  void accumulate_into_leaf(Slot& s) {
    Node& leaf = *s.node;
    if (options.create_graph) {
      leaf.grad_graph =
          leaf.grad_graph.defined() ? add(leaf.grad_graph, s.graph_grad) : s.graph_grad;
      leaf.grad = leaf.grad_graph.value().clone();
      return;
    }
    leaf.grad_graph = Var();  // a first-order sweep: grad() is newer than any graph
    if (leaf.grad.defined()) {
      leaf.grad.add_(s.grad);
      return;
    }
    // The new grad must own its buffer: the optimizer updates it in place, and the next backward
    // adds into it, so it must not alias a gradient of the sweep (or a broadcast view).
    leaf.grad = s.writable() && s.grad.is_contiguous() ? std::move(s.grad) : s.grad.clone();
  }

  void run(std::span<const Var> roots, std::span<const Tensor> douts) {
    check(douts.empty() || douts.size() == roots.size(), "backward: ", roots.size(), " roots but ",
          douts.size(), " output gradients");
    for (std::size_t i = 0; i < roots.size(); ++i) {
      Tensor dout = root_gradient(i, roots[i], douts);
      if (options.create_graph)
        accumulate(roots[i].node(), Var(std::move(dout)));
      else
        accumulate(roots[i].node(), std::move(dout));
    }
    hooked_leaves.count(roots);
    GradModeGuard record_rules(options.create_graph);
    while (!ready.empty()) {
      std::pop_heap(ready.begin(), ready.end());
      const std::size_t k = ready.back().second;
      ready.pop_back();
      run_rule(k);
    }
    for (std::size_t k : leaves) {
      finish(slots[k]);
      if (capture == nullptr && slots[k].node->requires_grad) accumulate_into_leaf(slots[k]);
    }
  }
};
}  // namespace detail

// --- the rules' side: passing gradients on to the inputs (the reads are in rule_context.cpp) ---

void BackwardCtx::add(std::size_t i, Tensor g) {
  if (!needs(i)) return;
  const std::shared_ptr<Node>& input = node_.inputs[i].node;
  if (g.shape() != input->value.shape()) g = sum_to(g, input->value.shape());
  if (anomaly_enabled()) detail::check_backward(node_, i, g);
  sweep_.accumulate(input, std::move(g));
}

void GraphCtx::add(std::size_t i, Var g) {
  if (!needs(i)) return;
  const std::shared_ptr<Node>& input = self_->inputs[i].node;
  if (g.shape() != input->value.shape()) g = sum_to(g, input->value.shape());
  if (anomaly_enabled()) detail::check_backward(*self_, i, g.value());
  tensors_.sweep_.accumulate(input, std::move(g));
}

// --- entry points (grad() is in grad.cpp) ---

void detail::run_sweep(std::span<const Var> roots, std::span<const Tensor> douts,
                       const BackwardOptions& options, Capture* capture) {
  Sweep(options, capture).run(roots, douts);
}

void backward(const std::vector<Var>& roots, const std::vector<Tensor>& douts,
              const BackwardOptions& options) {
  detail::run_sweep(roots, douts, options);
}

void Var::backward(const BackwardOptions& options) const {
  detail::run_sweep(std::span<const Var>(this, 1), {}, options);
}
void Var::backward(const Tensor& dout, const BackwardOptions& options) const {
  detail::run_sweep(std::span<const Var>(this, 1), std::span<const Tensor>(&dout, 1), options);
}

}  // namespace wengert
