// The engine: one reverse sweep over the entries reachable from the roots.
//
// Entries are visited in decreasing tape index, i.e. reverse recording order, which is a reverse
// topological order: every consumer of a value was recorded after it, so by the time an entry is
// popped all gradient contributions to its output have arrived (summed into its slot). Only
// entries that receive a gradient are visited: a max-heap on the tape index holds them.
#include <algorithm>
#include <atomic>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <wengert/autograd/anomaly.hpp>
#include <wengert/autograd/backward.hpp>
#include <wengert/autograd/hooks.hpp>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

namespace wengert {

namespace detail {
// A node given a gradient in this sweep, with that gradient summed so far: a Tensor in the
// ordinary sweep, a Var when the sweep builds a graph (create_graph).
struct Slot {
  std::shared_ptr<Node> node;  // kept alive until the sweep ends
  Tensor grad;
  bool owned = false;  // grad is a buffer this sweep allocated, so it may be added to in place
  Var graph_grad;
  bool finished = false;  // hooks run and gradient captured: complete
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
std::atomic<std::uint32_t> next_sweep_id{1};
}  // namespace

namespace detail {
struct Sweep : Buffers {
  BackwardOptions options;
  bool accumulate_into_grad = true;  // backward(); grad() only reads the captured gradients
  std::uint32_t id = next_sweep_id.fetch_add(1);
  bool owns_cache = false;
  std::vector<const Node*> capture;  // grad(): the nodes whose gradient is returned
  std::vector<Var> captured;

  explicit Sweep(const BackwardOptions& o) : options(o) {
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
    return slots.emplace_back(Slot{node, Tensor(), false, Var(), false});
  }

  // Hooked leaves still waiting for gradients: how many edges from entries this sweep can reach
  // point at each. A leaf whose count drops to zero is complete, and is finished at once, while
  // the sweep goes on (a gradient reducer starts its allreduce there). Filled only when some
  // node has hooks, by one walk over the graph before the sweep. A rule that passes nothing to a
  // counted input leaves its leaf to be finished when the sweep ends, as every other leaf is.
  std::unordered_map<const Node*, std::int64_t> pending_edges;

  void count_edges_into_hooked_leaves(std::span<const Var> roots) {
    std::vector<const Node*> stack;
    std::unordered_set<const Node*> seen;
    for (const Var& root : roots)
      if (root.defined() && seen.insert(root.node().get()).second)
        stack.push_back(root.node().get());
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->inputs) {
        const Node* in = e.node.get();
        if (in->is_leaf()) {
          if (in->marks.has_hooks && in->requires_grad) ++pending_edges[in];
        } else if (seen.insert(in).second) {
          stack.push_back(in);
        }
      }
    }
  }

  // After a contribution to `node` (in slot s): a hooked leaf that has all of its gradient now.
  void note_contribution(const Node& node, Slot& s) {
    if (pending_edges.empty() || !node.is_leaf()) return;
    auto it = pending_edges.find(&node);
    if (it == pending_edges.end() || --it->second > 0) return;
    pending_edges.erase(it);
    finish(s);
  }

  void accumulate(const std::shared_ptr<Node>& node, Tensor g) {
    if (node->marks.sweep != id) {
      Slot& s = open(node);
      s.grad = std::move(g);  // may alias another gradient: never written in place
      return note_contribution(*node, s);
    }
    Slot& s = slots[node->marks.slot];
    if (s.owned) {
      s.grad.add_(g);
    } else {
      s.grad = add(s.grad, g);
      s.owned = true;
    }
    note_contribution(*node, s);
  }

  void accumulate(const std::shared_ptr<Node>& node, Var g) {
    if (node->marks.sweep != id) {
      Slot& s = open(node);
      s.graph_grad = std::move(g);
      return note_contribution(*node, s);
    }
    Slot& s = slots[node->marks.slot];
    s.graph_grad = add(s.graph_grad, g);
    note_contribution(*node, s);
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
    for (std::size_t i = 0; i < capture.size(); ++i)
      if (capture[i] == s.node.get())
        captured[i] = options.create_graph ? s.graph_grad : Var(s.grad);
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
      if (saves_input(n.saved.values, i) && e.node->value.version() != e.version)
        fail_version("input " + std::to_string(i) + " " + e.node->describe(), e.version,
                     e.node->value.version());
    }
    if ((n.saved.values & kSaveOut) && n.value.version() != n.saved.out_version)
      fail_version("its output", n.saved.out_version, n.value.version());
    for (const SavedTensor& s : n.saved.extra)
      if (s.tensor.version() != s.version)
        fail_version("saved tensor '" + s.name + "'", s.version, s.tensor.version());
  }

  // d(loss)/d(root): `dout`, or 1 for a one-element root.
  static Tensor root_gradient(std::size_t i, const Var& root, const Tensor* dout) {
    check(root.defined(), "backward: root ", i, " is undefined");
    const Node& n = *root.node();
    if (!n.requires_grad)
      fail("backward: ", n.describe(),
           " does not require grad (no input of the ops that computed it requires grad, or it was "
           "computed under NoGradGuard)");
    if (dout == nullptr || !dout->defined()) {
      if (n.value.numel() != 1)
        fail("backward: ", n.describe(), " is not a single element; pass its gradient explicitly");
      return ones(n.value.shape(), n.value.dtype());
    }
    if (dout->shape() != n.value.shape())
      fail("backward: gradient shape ", shape_str(dout->shape()), " differs from ", n.describe());
    return dout->dtype() == n.value.dtype() ? *dout : dout->to(n.value.dtype());
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
    check_versions(n);
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
    leaf.grad = s.owned && s.grad.is_contiguous() ? std::move(s.grad) : s.grad.clone();
  }

  void run(std::span<const Var> roots, std::span<const Tensor> douts) {
    check(douts.empty() || douts.size() == roots.size(), "backward: ", roots.size(), " roots but ",
          douts.size(), " output gradients");
    for (std::size_t i = 0; i < roots.size(); ++i) {
      Tensor dout = root_gradient(i, roots[i], douts.empty() ? nullptr : &douts[i]);
      if (options.create_graph)
        accumulate(roots[i].node(), Var(std::move(dout)));
      else
        accumulate(roots[i].node(), std::move(dout));
    }
    if (any_hooks()) count_edges_into_hooked_leaves(roots);
    GradModeGuard record_rules(options.create_graph);
    while (!ready.empty()) {
      std::pop_heap(ready.begin(), ready.end());
      const std::size_t k = ready.back().second;
      ready.pop_back();
      run_rule(k);
    }
    for (std::size_t k : leaves) {
      finish(slots[k]);
      if (accumulate_into_grad && slots[k].node->requires_grad) accumulate_into_leaf(slots[k]);
    }
  }
};
}  // namespace detail

using detail::Sweep;

// --- BackwardCtx: the entry's values as Tensors ---

namespace {
const Tensor& input_value(const Node& n, std::size_t i) {
  check(i < n.inputs.size(), n.op, " backward: input ", i, " out of range");
  return n.inputs[i].node->value;
}
}  // namespace

const Tensor& BackwardCtx::out() const {
  check(node_.saved.values & kSaveOut, node_.op, " backward: reads its output without kSaveOut");
  return node_.value;
}
const Tensor& BackwardCtx::in(std::size_t i) const {
  check(saves_input(node_.saved.values, i), node_.op, " backward: reads input ", i,
        " without saving it");
  return input_value(node_, i);
}
const Shape& BackwardCtx::in_shape(std::size_t i) const { return input_value(node_, i).shape(); }
DType BackwardCtx::in_dtype(std::size_t i) const { return input_value(node_, i).dtype(); }
const Tensor& BackwardCtx::saved(std::string_view name) const {
  for (const SavedTensor& s : node_.saved.extra)
    if (s.name == name) return s.tensor;
  fail(node_.op, " backward: no saved tensor named '", name, "'");
}
bool BackwardCtx::needs(std::size_t i) const {
  return i < node_.inputs.size() && node_.inputs[i].node->requires_grad;
}
void BackwardCtx::fail_first_order() const {
  fail("backward: ", node_.describe(),
       " has a first-order backward rule (written on Tensors only), so create_graph "
       "cannot differentiate through it; write its rule as [](auto& c) (record.hpp)");
}

void BackwardCtx::add(std::size_t i, Tensor g) {
  if (!needs(i)) return;
  const std::shared_ptr<Node>& input = node_.inputs[i].node;
  if (g.shape() != input->value.shape()) g = sum_to(g, input->value.shape());
  if (anomaly_enabled()) detail::check_backward(node_, i, g);
  sweep_.accumulate(input, std::move(g));
}

// --- GraphCtx: the same entry as Vars, so the rule records ---

Var GraphCtx::out() const {
  tensors_.out();  // checks that the output was saved
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

void backward(const std::vector<Var>& roots, const std::vector<Tensor>& douts,
              const BackwardOptions& options) {
  Sweep(options).run(roots, douts);
}

void Var::backward(const BackwardOptions& options) const {
  Sweep(options).run(std::span<const Var>(this, 1), {});
}
void Var::backward(const Tensor& dout, const BackwardOptions& options) const {
  Sweep(options).run(std::span<const Var>(this, 1), std::span<const Tensor>(&dout, 1));
}

std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Tensor>& douts, const BackwardOptions& options) {
  Sweep sweep(options);
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
  sweep.run(outputs, douts);
  std::vector<Var> result(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Var& g = sweep.captured[i];
    if (!g.defined())
      result[i] = Var(zeros_like(inputs[i].value()));
    else
      result[i] = options.create_graph ? g : Var(g.value().clone());
  }
  return result;
}

}  // namespace wengert
