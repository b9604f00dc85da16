// Reductions and the softmax family. A reduced gradient dy is put back on x's shape by
// reinserting the reduced axes as size 1 (kept_shape) and expanding (a stride-0 view, no copy).
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "rule_ops.hpp"

namespace wengert {

namespace {
// x's shape with every reduced axis set to 1: the shape of the reduction with keepdim = true.
Shape kept_shape(std::string_view op, const Shape& shape, const Axes& axes) {
  Shape kept = shape;
  for (std::int64_t a : normalize_axes(op, axes, static_cast<std::int64_t>(shape.size())))
    kept[a] = 1;
  return kept;
}
}  // namespace

Var sum(const Var& x, const Axes& axes, bool keepdim) {
  return record("sum", sum(x.value(), axes, keepdim), {x}, kSaveNone,
                [kept = kept_shape("sum", x.shape(), axes)](auto& c) {
                  c.add(0, expand(reshape(c.dout, kept), c.in_shape(0)));
                });
}

// Undoes broadcasting: sums the leading axes x has in excess and the axes `shape` has as 1.
Var sum_to(const Var& x, const Shape& shape) {
  const std::int64_t lead = x.dim() - static_cast<std::int64_t>(shape.size());
  check(lead >= 0, "sum_to: cannot sum ", shape_str(x.shape()), " to ", shape_str(shape));
  Axes axes;
  for (std::int64_t a = 0; a < x.dim(); ++a)
    if (a < lead || (shape[a - lead] == 1 && x.size(a) != 1)) axes.push_back(a);
  if (axes.empty()) return reshape(x, shape);
  return reshape(sum(x, axes, true), shape);
}

Var mean(const Var& x, const Axes& axes, bool keepdim) {
  Var s = sum(x, axes, keepdim);
  const double n =
      static_cast<double>(x.numel()) / static_cast<double>(std::max<std::int64_t>(s.numel(), 1));
  return s * (1.0 / n);
}

// dx = dy * [x == y] / (number of elements equal to the max along the reduced axes)
Var max(const Var& x, const Axes& axes, bool keepdim) {
  return record("max", max(x.value(), axes, keepdim), {x}, kSaveIn0 | kSaveOut,
                [kept = kept_shape("max", x.shape(), axes), axes](auto& c) {
                  const Tensor& v = rule::value_of(c.in(0));
                  const Tensor is_max = eq(v, rule::value_of(c.out()).reshape(kept));
                  const Tensor share = is_max / sum(is_max, axes, true);  // 1 / #ties
                  c.add(0, reshape(c.dout, kept) * share);
                });
}

// min = -max(-x): ties share the gradient, like torch.amin.
Var min(const Var& x, const Axes& axes, bool keepdim) { return -max(-x, axes, keepdim); }

// var = sum((x - mean(x))^2) / (n - correction), n the number of reduced elements.
Var var(const Var& x, const Axes& axes, std::int64_t correction, bool keepdim) {
  const Var centered = x - mean(x, axes, true);
  const Var squares = sum(centered * centered, axes, keepdim);
  const std::int64_t n = x.numel() / std::max<std::int64_t>(squares.numel(), 1);
  check(n - correction > 0, "var: ", n, " elements with correction ", correction);
  return squares * (1.0 / static_cast<double>(n - correction));
}

Var stddev(const Var& x, const Axes& axes, std::int64_t correction, bool keepdim) {
  return sqrt(var(x, axes, correction, keepdim));
}

// y_j = sum_{i <= j} x_i along the axis, so dx_i = sum_{j >= i} dy_j: the reverse running sum of
// dy (and the reverse one's gradient is the forward one). One rule, differentiable as written.
Var cumsum(const Var& x, std::int64_t axis, bool reverse) {
  const std::int64_t ax = normalize_axis("cumsum", axis, x.dim());
  return record("cumsum", cumsum(x.value(), ax, reverse), {x}, kSaveNone,
                [ax, reverse](auto& c) { c.add(0, cumsum(c.dout, ax, !reverse)); });
}

namespace {
// torch.max(x, axis) as one entry with two outputs: the values (differentiable) and their indices
// (i64, saved with the entry). The gradient goes to the returned index only:
//   dx = scatter_add(x.shape, axis, indices, dy)
ValuesIndices pick(const Var& x, std::int64_t axis, bool keepdim, bool is_max) {
  const char* op = is_max ? "max_with_indices" : "min_with_indices";
  const std::int64_t ax = normalize_axis(op, axis, x.dim());
  const Tensor indices = is_max ? argmax(x.value(), ax, true) : argmin(x.value(), ax, true);
  Tensor values = gather(x.value(), ax, indices);
  if (!keepdim) values = values.squeeze(ax);
  Var picked = record(op, std::move(values), {x}, kSaveNone,
                      [ax](auto& c) {
                        const Tensor& at = c.saved("indices");
                        c.add(0, scatter_add(c.in_shape(0), ax, at, reshape(c.dout, at.shape())));
                      },
                      {{"indices", indices}});
  return {std::move(picked), keepdim ? indices : indices.squeeze(ax)};
}
}  // namespace

ValuesIndices max_with_indices(const Var& x, std::int64_t axis, bool keepdim) {
  return pick(x, axis, keepdim, true);
}
ValuesIndices min_with_indices(const Var& x, std::int64_t axis, bool keepdim) {
  return pick(x, axis, keepdim, false);
}

// Hand-written for numerics (the max shift); twin: log(sum(exp(x))).  dx = dy * exp(x - y)
Var logsumexp(const Var& x, const Axes& axes, bool keepdim) {
  return record("logsumexp", logsumexp(x.value(), axes, keepdim), {x}, kSaveIn0 | kSaveOut,
                [kept = kept_shape("logsumexp", x.shape(), axes)](auto& c) {
                  c.add(0, reshape(c.dout, kept) * exp(c.in(0) - reshape(c.out(), kept)));
                });
}

// y = softmax(x): dx_i = sum_j dy_j * y_j * ([i == j] - y_i) = y_i * (dy_i - sum_j dy_j * y_j)
// Hand-written for numerics; twin: exp(x - logsumexp(x, axis, keepdim)).
Var softmax(const Var& x, std::int64_t axis) {
  return record("softmax", softmax(x.value(), axis), {x}, kSaveOut, [axis](auto& c) {
    const auto y = c.out();
    c.add(0, y * (c.dout - sum(c.dout * y, {axis}, true)));
  });
}

// y = x - logsumexp(x): dx = dy - softmax(x) * sum(dy) = dy - exp(y) * sum(dy)
// Hand-written for numerics; twin: x - logsumexp(x, axis, keepdim).
Var log_softmax(const Var& x, std::int64_t axis) {
  return record("log_softmax", log_softmax(x.value(), axis), {x}, kSaveOut,
                [axis](auto& c) { c.add(0, c.dout - exp(c.out()) * sum(c.dout, {axis}, true)); });
}

}  // namespace wengert
