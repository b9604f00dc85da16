// Freeing a long chain (a graph over a thousand time steps) would recurse once per node: each
// node's destructor drops the last reference to its input. Instead, the outermost destructor owns
// a work list, and nested ones only move the inputs they solely own onto it. The pointer is
// trivially destructible, so it is safe even while thread-local objects are being torn down.
#include "free_graph.hpp"

#include <wengert/autograd/node.hpp>

namespace wengert::detail {

namespace {
thread_local std::vector<std::shared_ptr<Node>>* dying = nullptr;
}

void drop_inputs(Edges& inputs) {
  if (inputs.empty()) return;
  if (dying != nullptr) {
    for (Edge& e : inputs)
      if (e.node.use_count() == 1) dying->push_back(std::move(e.node));
    inputs.clear();
    return;
  }
  std::vector<std::shared_ptr<Node>> work;
  dying = &work;
  for (Edge& e : inputs)
    if (e.node.use_count() == 1) work.push_back(std::move(e.node));
  inputs.clear();
  while (!work.empty()) {
    std::shared_ptr<Node> last = std::move(work.back());
    work.pop_back();
    last.reset();  // its destructor may push more onto `work`
  }
  dying = nullptr;
}

}  // namespace wengert::detail
