// The Tensor spellings of the Var ops that backward rules use, so that one rule, written as a
// generic lambda `[](auto& c)`, compiles on Tensors (the first-order sweep: plain kernels) and on
// Vars (create_graph: recorded). Private to the autograd sources.
#pragma once

#include <wengert/autograd/var.hpp>
#include <wengert/tensor.hpp>

namespace wengert::rule {

inline const Tensor& value_of(const Tensor& t) { return t; }
inline const Tensor& value_of(const Var& v) { return v.value(); }

}  // namespace wengert::rule

namespace wengert {

inline Tensor reshape(const Tensor& x, const Shape& shape) { return x.reshape(shape); }
inline Tensor expand(const Tensor& x, const Shape& shape) { return x.expand(shape); }
inline Tensor permute(const Tensor& x, const std::vector<std::int64_t>& order) {
  return x.permute(order);
}
inline Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b) {
  return x.transpose(a, b);
}
inline Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
                    std::int64_t step = 1) {
  return x.slice(axis, start, stop, step);
}
inline Tensor unsqueeze(const Tensor& x, std::int64_t axis) { return x.unsqueeze(axis); }
inline Tensor narrow(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t length) {
  return x.narrow(axis, start, length);
}
// Zeros of `shape` with src written at x.slice(axis, start, stop, step): the adjoint of slice.
inline Tensor slice_scatter(const Tensor& src, const Shape& shape, std::int64_t axis,
                            std::int64_t start, std::int64_t stop, std::int64_t step = 1) {
  Tensor y = zeros(shape, src.dtype());
  y.slice(axis, start, stop, step).copy_(src);
  return y;
}

}  // namespace wengert
