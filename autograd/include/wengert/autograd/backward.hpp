// The reverse sweep. Gradients flow from the roots through every reachable entry in reverse
// recording order (the tape's order is topological); each entry's rule adds into its inputs'
// gradients, so a value used twice simply receives two contributions.
#pragma once

#include <vector>

#include "var.hpp"

namespace wengert {

// d(roots)/d(leaves) accumulated (+=) into grad() of every reachable leaf with requires_grad.
// `douts[i]` is d(loss)/d(roots[i]); it may be omitted for one-element roots (taken as 1).
// Unless options.retain_graph, swept entries release their saved tensors: a second backward
// through them throws, naming the value.
void backward(const std::vector<Var>& roots, const std::vector<Tensor>& douts = {},
              const BackwardOptions& options = {});

// Like torch.autograd.grad: returns d(outputs)/d(inputs) without touching any grad(). An input
// the outputs do not depend on gets zeros; one that does not require a gradient is an error
// unless options.allow_unused. With options.create_graph the results are differentiable:
//   Var g = grad({loss}, {x}, {}, {.create_graph = true})[0];   // d loss / dx, with a graph
//   Var hvp = grad({sum(g * v)}, {x})[0];                       // Hessian-vector product
std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Tensor>& douts = {}, const BackwardOptions& options = {});

}  // namespace wengert
