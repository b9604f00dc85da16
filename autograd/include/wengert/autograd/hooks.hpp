// Gradient hooks (opt-in): a function called with a value's gradient once the sweep has summed all
// of its contributions, before it flows further (or, for a leaf, before it is added to grad()).
// A hooked leaf's hooks run as soon as the last entry feeding it has run, while the sweep goes on
// (a gradient reducer starts communicating there), not only when the sweep ends.
// Return an undefined Tensor to only inspect, or a tensor of the same shape to replace the
// gradient.
//   register_hook(h, [&](const Tensor& dh) { norms.push_back(dh); return Tensor(); });
//   register_hook(h, [](const Tensor& dh) { return clamp(dh, -1.0, 1.0); });  // clip
#pragma once

#include <functional>

#include "node.hpp"

namespace wengert {

using GradHook = std::function<Tensor(const Tensor&)>;

// Hooks run in registration order; they stay until remove_hooks() or the value dies.
void register_hook(const Var& v, GradHook hook);
void remove_hooks(const Var& v);

namespace detail {
// The hooks are kept in a table beside the graph (Node::marks.has_hooks marks a node that has
// some). run_hooks returns the gradient as the hooks left it, or an undefined Tensor if none
// replaced it.
Tensor run_hooks(const Node& node, const Tensor& grad);
void forget_hooks(const Node* node);  // called when the node dies
bool any_hooks();                     // whether some live node has hooks (the sweep's pre-pass)
}  // namespace detail

}  // namespace wengert
