// grad(): like torch.autograd.grad, d(outputs)/d(inputs) handed back by one sweep instead of being
// added into grad().
#include <wengert/autograd/backward.hpp>
#include <wengert/autograd/ops.hpp>

#include "sweep.hpp"

namespace wengert {

std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Tensor>& douts, const BackwardOptions& options) {
  detail::Capture capture;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Var& in = inputs[i];
    check(in.defined(), "grad: input ", i, " is undefined");
    if (!in.requires_grad() && !options.allow_unused)
      fail("grad: input ", i, " ", in.node()->describe(),
           " does not require a gradient; pass allow_unused = true to get zeros for it");
    capture.nodes.push_back(in.node().get());
  }
  capture.grads.resize(inputs.size());
  detail::run_sweep(outputs, douts, options, &capture);
  std::vector<Var> result(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Var& g = capture.grads[i];
    if (!g.defined())
      result[i] = Var(zeros_like(inputs[i].value()));
    else
      result[i] = options.create_graph ? g : Var(g.value().clone());
  }
  return result;
}

}  // namespace wengert
