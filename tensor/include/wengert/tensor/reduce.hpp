// Reductions over any set of axes (an empty list means all axes), with keepdim, and the
// numerically stable softmax family. Floating sums accumulate in double.
#pragma once

#include <vector>

#include "tensor.hpp"

namespace wengert {

using Axes = std::vector<std::int64_t>;

Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// sum_i x_i^2 over every element (any layout and dtype), accumulated in double: the squared L2
// norm, e.g. of the gradients clip_grad_norm scales.
double sum_of_squares(const Tensor& x);
// Index (i64) of the first maximum / minimum along one axis.
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim = false);
// log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m = max over the axes.
Tensor logsumexp(const Tensor& x, const Axes& axes = {}, bool keepdim = false);

// Running sum along one axis: y[.., j, ..] = sum_{i <= j} x[.., i, ..]; with `reverse`, sum_{i >=
// j} (the adjoint: the gradient of one is the other). Accumulated in double (int64 for integers),
// like torch.cumsum on the CPU; O(n).
Tensor cumsum(const Tensor& x, std::int64_t axis, bool reverse = false);

// softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) along `axis`, m the max along the axis.
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
// log_softmax(x)_i = x_i - logsumexp(x) along `axis`.
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

// Sums `x` down to `shape` (the inverse of broadcasting): the gradient of a broadcast input.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace wengert
