// Finishing a hooked leaf early, as soon as the last entry feeding it has run, while the sweep goes
// on: the gradient reducer starts a bucket's allreduce there, so communication overlaps the rest
// of the backward. Not needed to follow the engine; without hooks it costs one branch per
// contribution.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <wengert/autograd/node.hpp>

namespace wengert::detail {

class HookedLeaves {
 public:
  // Before the sweep: for each hooked leaf requiring grad, how many edges from the entries the
  // roots reach point at it. One walk over the graph, and only when some node has hooks.
  void count(std::span<const Var> roots);

  // After a gradient contribution to `node`: whether it was the last one a counted leaf awaited,
  // so its gradient is complete. A rule that passes nothing to a counted input leaves its leaf to
  // be finished when the sweep ends, as every other leaf is.
  bool last_contribution(const Node& node) {
    if (pending_edges_.empty() || !node.is_leaf()) return false;  // no hooks: the usual case
    return count_down(node);
  }

 private:
  bool count_down(const Node& leaf);
  std::unordered_map<const Node*, std::int64_t> pending_edges_;
};

}  // namespace wengert::detail
