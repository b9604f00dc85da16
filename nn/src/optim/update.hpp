// Private helpers of the optimizers: the parameter lists of groups, and update_parameter, which
// hands one parameter's value and gradient to an update kernel as flat contiguous arrays of its
// element type, then writes back in place (bumping the version, so autograd notices the change)
// without ever replacing the parameter's storage.
#pragma once

#include <string_view>
#include <wengert/autograd.hpp>
#include <wengert/nn/optim.hpp>

namespace wengert::nn::detail {

template <class Options>
std::vector<std::vector<Var>> params_of(const std::vector<ParamGroup<Options>>& groups) {
  std::vector<std::vector<Var>> out;
  for (const auto& g : groups) out.push_back(g.params);
  return out;
}

// fn.template operator()<T>(T* w, const T* g, std::int64_t n), T = float or double.
template <class F>
void update_parameter(std::string_view op, std::size_t index, const Var& p, F&& fn) {
  Tensor value = p.value();
  const Tensor grad = p.grad().contiguous();
  check(grad.dtype() == value.dtype(), op, ": parameter ", index, " is ", value.dtype(),
        " but its gradient is ", grad.dtype());
  Tensor w = value.is_contiguous() ? value : value.clone();
  visit_floating(op, value.dtype(), [&]<class T>() {
    fn.template operator()<T>(w.data<T>(), grad.data<T>(), w.numel());
  });
  if (w.shares_storage_with(value)) {
    value.bump_version();
  } else {
    value.copy_(w);
  }
}

}  // namespace wengert::nn::detail
