// Node lifetime: a node frees its inputs when it dies (without recursion, free_graph.cpp), and an
// entry swept without retain_graph releases what only its rule needed.
#include <wengert/autograd/hooks.hpp>
#include <wengert/autograd/node.hpp>

#include "free_graph.hpp"

namespace wengert {

Node::~Node() {
  if (marks.has_hooks) detail::forget_hooks(this);
  detail::drop_inputs(inputs);
}

void Node::release() {
  detail::drop_inputs(inputs);
  saved.extra.clear();
  backward = nullptr;
}

}  // namespace wengert
