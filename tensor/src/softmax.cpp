// softmax and log_softmax along one axis, over contiguous rows, numerically stable:
//   softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m),   m = max_j x_j
//   log_softmax(x)_i = (x_i - m) - log(sum_j exp(x_j - m))
// Rows are independent, so large inputs split rows across OpenMP threads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "detail/fold_row.hpp"
#include "detail/strided_loop.hpp"
#include "kernels/elementwise_kernels.hpp"
#include "wengert/tensor/reduce.hpp"

namespace wengert {

namespace {

template <class T>
T row_max(const T* x, std::int64_t n) {
  auto keep_max = [](T& m, T v) { m = std::max(m, v); };
  return detail::fold_row(x, n, 1, -std::numeric_limits<T>::infinity(), keep_max, keep_max);
}

template <class T>
double row_sum(const T* x, std::int64_t n) {
  auto add = [](double& s, auto v) { s += static_cast<double>(v); };
  return detail::fold_row(x, n, 1, 0.0, add, add);
}

template <class T>
void softmax_row(const T* x, T* y, std::int64_t n, bool log_space) {
  T m = row_max(x, n);
  if (std::isinf(m)) m = 0;  // all -inf (or a +inf): avoid inf - inf
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] - m;
  kernels::simd_unary<T>(kernels::UnaryOp::exp, y, y, n);  // y = exp(x - m)
  const double total = row_sum(y, n);
  if (log_space) {  // y = (x - m) - log(total), from x again: no buffer for the exponentials
    const T log_total = static_cast<T>(std::log(total));
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_total;
  } else {
    const T inverse = static_cast<T>(1.0 / total);
    for (std::int64_t i = 0; i < n; ++i) y[i] *= inverse;
  }
}

Tensor softmax_along(std::string_view op, const Tensor& x, std::int64_t axis, bool log_space) {
  check(x.defined(), op, ": operand is an undefined tensor");
  if (x.dim() == 0) return softmax_along(op, x.reshape({1}), 0, log_space).reshape({});
  axis = normalize_axis(op, axis, x.dim());
  const bool last = axis == x.dim() - 1;
  const Tensor rows = last ? x.contiguous() : x.transpose(axis, -1).contiguous();
  const std::int64_t length = rows.shape().back();
  const std::int64_t count = length == 0 ? 0 : rows.numel() / length;
  Tensor out = Tensor::empty(rows.shape(), x.dtype());
  visit_floating(op, x.dtype(), [&]<class T>() {
    const T* px = rows.data<T>();
    T* py = out.data<T>();
    const bool parallel = rows.numel() >= detail::kParallelElementwise && count > 1;
#pragma omp parallel for schedule(static) if (parallel)
    for (std::int64_t r = 0; r < count; ++r)
      softmax_row(px + r * length, py + r * length, length, log_space);
  });
  return last ? out : out.transpose(axis, -1).contiguous();
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) {
  return softmax_along("softmax", x, axis, false);
}
Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  return softmax_along("log_softmax", x, axis, true);
}

}  // namespace wengert
