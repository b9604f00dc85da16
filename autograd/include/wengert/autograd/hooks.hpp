// Gradient hooks (opt-in): a function called with a value's gradient once the sweep has summed all
// of its contributions, before it flows further (or, for a leaf, before it is added to grad()).
// Return an undefined Tensor to only inspect, or a tensor of the same shape to replace the
// gradient.
//   register_hook(h, [&](const Tensor& dh) { norms.push_back(dh); return Tensor(); });
//   register_hook(h, [](const Tensor& dh) { return clamp(dh, -1.0, 1.0); });  // clip
#pragma once

#include <functional>

#include "node.hpp"

namespace wengert {

// Hooks run in registration order; they stay until remove_hooks().
void register_hook(const Var& v, GradHook hook);
void remove_hooks(const Var& v);

}  // namespace wengert
