// Shared by the autograd tests: random f64 inputs, contiguous or deliberately not (in
// wengert::testing, the namespace of every test helper; see tests/support/).
#pragma once

#include <wengert/autograd.hpp>

namespace wengert::testing {

inline Generator& gen() {
  static Generator g(1234);
  return g;
}
// Normal(0, 1) values of `shape`, f64, contiguous.
inline Tensor r(const Shape& shape) { return normal(shape, 0.0, 1.0, gen(), DType::f64); }
// Values in [0.5, 2): for log, sqrt, pow, division.
inline Tensor pos(const Shape& shape) { return uniform(shape, 0.5, 2.0, gen(), DType::f64); }
// A non-contiguous view of `shape`: every other element of a tensor twice as long on the last axis.
inline Tensor strided(const Shape& shape) {
  Shape wide = shape;
  wide.back() *= 2;
  return r(wide).slice(-1, 0, wide.back(), 2);
}
// A non-contiguous view of `shape` (rank >= 2): the transpose of a contiguous tensor.
inline Tensor transposed(const Shape& shape) {
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  return r(swapped).transpose(-1, -2);
}
inline Tensor ids(std::vector<std::int64_t> values, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<std::int64_t>(values.size())};
  return from_vector<std::int64_t>(std::move(values), std::move(shape));
}

// Value of f(x) and d sum(f(x) * w) / dx, for comparing an op with its composed twin.
struct ValueGrad {
  Tensor value;
  std::vector<Tensor> grads;
};
inline ValueGrad value_and_grad(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                                const Tensor& w = {}) {
  std::vector<Var> leaves;
  for (const Tensor& t : inputs) leaves.emplace_back(t, true);
  Var y = f(leaves);
  Tensor dout = w.defined() ? w : ones(y.shape(), y.dtype());
  std::vector<Tensor> grads;
  for (const Var& g : grad({y}, leaves, {dout})) grads.push_back(g.value());
  return {y.value(), grads};
}

}  // namespace wengert::testing
