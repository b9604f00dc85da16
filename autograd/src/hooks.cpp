// Gradient hooks, kept in a table beside the graph rather than in every node; the engine
// (backward.cpp, Sweep::finish) runs them for nodes marked marks.has_hooks.
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <wengert/autograd/hooks.hpp>

namespace wengert {

namespace {
std::mutex table_mutex;
std::unordered_map<const Node*, std::vector<GradHook>> table;
std::atomic<std::size_t> hooked_nodes{0};  // table.size(), readable without the lock
}  // namespace

void register_hook(const Var& v, GradHook hook) {
  check(v.defined(), "register_hook: undefined Var");
  if (!v.requires_grad())
    fail("register_hook: ", v.node()->describe(),
         " does not require grad, so no gradient will reach it");
  const std::lock_guard lock(table_mutex);
  table[v.node().get()].push_back(std::move(hook));
  hooked_nodes.store(table.size());
  v.node()->marks.has_hooks = true;
}

void remove_hooks(const Var& v) {
  check(v.defined(), "remove_hooks: undefined Var");
  detail::forget_hooks(v.node().get());
  v.node()->marks.has_hooks = false;
}

namespace detail {
Tensor run_hooks(const Node& node, const Tensor& grad) {
  std::vector<GradHook> hooks;
  {
    const std::lock_guard lock(table_mutex);  // copied out: a hook may register another
    if (auto it = table.find(&node); it != table.end()) hooks = it->second;
  }
  Tensor current;
  for (const GradHook& hook : hooks) {
    Tensor replaced = hook(current.defined() ? current : grad);
    if (!replaced.defined()) continue;
    if (replaced.shape() != node.value.shape())
      fail("hook on ", node.describe(), " returned a gradient of shape ",
           shape_str(replaced.shape()));
    current = std::move(replaced);
  }
  return current;
}

void forget_hooks(const Node* node) {
  const std::lock_guard lock(table_mutex);
  table.erase(node);
  hooked_nodes.store(table.size());
}
bool any_hooks() { return hooked_nodes.load() > 0; }
}  // namespace detail

}  // namespace wengert
