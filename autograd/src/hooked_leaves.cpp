// Counting the edges into hooked leaves, so the sweep finishes each as soon as it is complete.
#include "hooked_leaves.hpp"

#include <unordered_set>
#include <vector>
#include <wengert/autograd/hooks.hpp>

namespace wengert::detail {

void HookedLeaves::count(std::span<const Var> roots) {
  if (!any_hooks()) return;
  std::vector<const Node*> stack;
  std::unordered_set<const Node*> seen;
  for (const Var& root : roots)
    if (root.defined() && seen.insert(root.node().get()).second) stack.push_back(root.node().get());
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->inputs) {
      const Node* in = e.node.get();
      if (in->is_leaf()) {
        if (in->marks.has_hooks && in->requires_grad) ++pending_edges_[in];
      } else if (seen.insert(in).second) {
        stack.push_back(in);
      }
    }
  }
}

bool HookedLeaves::count_down(const Node& leaf) {
  auto it = pending_edges_.find(&leaf);
  if (it == pending_edges_.end() || --it->second > 0) return false;
  pending_edges_.erase(it);
  return true;
}

}  // namespace wengert::detail
