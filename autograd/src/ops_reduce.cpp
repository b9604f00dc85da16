// Reductions and the softmax family. A reduced gradient dy is put back on x's shape by
// reinserting the reduced axes as size 1 (kept_shape) and expanding (a stride-0 view, no copy).
#include <wengert/autograd/node.hpp>
#include <wengert/autograd/ops.hpp>

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
                [kept = kept_shape("sum", x.shape(), axes)](BackwardCtx& c) {
                  c.add(0, c.dout.reshape(kept).expand(c.in_shape(0)));
                });
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
                [kept = kept_shape("max", x.shape(), axes), axes](BackwardCtx& c) {
                  const Tensor& v = c.in(0);
                  const Tensor is_max = eq(v, c.out().reshape(kept));
                  const Tensor ties = sum(is_max, axes, true);
                  c.add(0, is_max * (c.dout.reshape(kept) / ties));
                });
}

// Hand-written for numerics (the max shift); twin: log(sum(exp(x))).  dx = dy * exp(x - y)
Var logsumexp(const Var& x, const Axes& axes, bool keepdim) {
  return record("logsumexp", logsumexp(x.value(), axes, keepdim), {x}, kSaveIn0 | kSaveOut,
                [kept = kept_shape("logsumexp", x.shape(), axes)](BackwardCtx& c) {
                  c.add(0, c.dout.reshape(kept) * exp(c.in(0) - c.out().reshape(kept)));
                });
}

// y = softmax(x): dx_i = sum_j dy_j * y_j * ([i == j] - y_i) = y_i * (dy_i - sum_j dy_j * y_j)
// Hand-written for numerics; twin: exp(x - logsumexp(x, axis, keepdim)).
Var softmax(const Var& x, std::int64_t axis) {
  return record("softmax", softmax(x.value(), axis), {x}, kSaveOut, [axis](BackwardCtx& c) {
    const Tensor& y = c.out();
    c.add(0, y * (c.dout - sum(c.dout * y, {axis}, true)));
  });
}

// y = x - logsumexp(x): dx = dy - softmax(x) * sum(dy) = dy - exp(y) * sum(dy)
// Hand-written for numerics; twin: x - logsumexp(x, axis, keepdim).
Var log_softmax(const Var& x, std::int64_t axis) {
  return record("log_softmax", log_softmax(x.value(), axis), {x}, kSaveOut, [axis](BackwardCtx& c) {
    c.add(0, c.dout - exp(c.out()) * sum(c.dout, {axis}, true));
  });
}

}  // namespace wengert
