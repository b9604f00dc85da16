// Layer normalisation (Ba, Kiros & Hinton 2016), as torch.nn.functional.layer_norm: over the
// trailing axes given by normalized_shape, with the biased variance,
//   xhat = (x - mean(x)) / sigma,   sigma = sqrt(var(x) + eps),   y = xhat * weight + bias.
// layer_norm is one fused entry: a one-pass-per-row forward and the closed-form backward;
// layer_norm_composed is its twin from existing ops (the tests check they agree).
#include <cmath>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "rule_ops.hpp"

namespace wengert {

namespace {
// Checks the arguments and returns the normalized (trailing) axes of x.
Axes normalized_axes(const Var& x, const Shape& normalized_shape, const Var& weight,
                     const Var& bias, double eps) {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  const auto trailing = [&] {
    if (k == 0 || x.dim() < k) return false;
    for (std::int64_t i = 0; i < k; ++i)
      if (x.size(x.dim() - k + i) != normalized_shape[static_cast<std::size_t>(i)]) return false;
    return true;
  };
  check(trailing(), "layer_norm: input ", ShapePrinter{x.shape()},
        " does not end in normalized_shape ", ShapePrinter{normalized_shape});
  check(eps >= 0, "layer_norm: eps must be >= 0, got ", eps);
  for (const Var* p : {&weight, &bias})
    if (p->defined() && p->shape() != normalized_shape)
      fail("layer_norm: weight and bias must be ", ShapePrinter{normalized_shape}, ", got ",
           ShapePrinter{p->shape()});
  Axes axes;
  for (std::int64_t i = x.dim() - k; i < x.dim(); ++i) axes.push_back(i);
  return axes;
}

// xhat = (x - mean) / sigma and 1 / sigma over `axes`, composed; on Var (differentiable) or on
// Tensor (the first-order sweep compiles the same rule).
template <class V>
V normalized(const V& x, const Axes& axes, double eps) {
  const V centered = x - mean(x, axes, /*keepdim=*/true);
  return centered / sqrt(mean(centered * centered, axes, /*keepdim=*/true) + eps);
}
template <class V>
V inverse_sigma(const V& x, const Axes& axes, double eps) {
  const V centered = x - mean(x, axes, /*keepdim=*/true);
  return 1.0 / sqrt(mean(centered * centered, axes, /*keepdim=*/true) + eps);
}

// The fused forward: per row of `width` elements, mean and biased variance (accumulated in
// double), then xhat and y = xhat * weight + bias in one more pass.
struct Normalized {
  Tensor y, xhat, inverse_sigma;  // inverse_sigma has x's shape with the normalized axes as 1
};
Normalized normalize_rows(const Tensor& x, const Axes& axes, const Tensor& weight,
                          const Tensor& bias, double eps) {
  const Tensor in = x.contiguous();
  Shape kept = x.shape();
  for (std::int64_t a : axes) kept[static_cast<std::size_t>(a)] = 1;
  const std::int64_t rows = numel_of(kept), width = rows == 0 ? 0 : x.numel() / rows;
  Normalized out{Tensor::empty(x.shape(), x.dtype()), Tensor::empty(x.shape(), x.dtype()),
                 Tensor::empty(kept, x.dtype())};
  const Tensor w = weight.defined() ? weight.contiguous() : Tensor();
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  visit_floating("layer_norm", x.dtype(), [&]<class T>() {
    const T* pw = w.defined() ? w.data<T>() : nullptr;
    const T* pb = b.defined() ? b.data<T>() : nullptr;
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* row = in.data<T>() + r * width;
      double total = 0.0;
      for (std::int64_t i = 0; i < width; ++i) total += row[i];
      const double mu = total / static_cast<double>(width);
      double squares = 0.0;
      for (std::int64_t i = 0; i < width; ++i) squares += (row[i] - mu) * (row[i] - mu);
      const double rstd = 1.0 / std::sqrt(squares / static_cast<double>(width) + eps);
      out.inverse_sigma.data<T>()[r] = static_cast<T>(rstd);
      T* xhat = out.xhat.data<T>() + r * width;
      T* y = out.y.data<T>() + r * width;
      for (std::int64_t i = 0; i < width; ++i) {
        xhat[i] = static_cast<T>((row[i] - mu) * rstd);
        y[i] = (pw ? xhat[i] * pw[i] : xhat[i]) + (pb ? pb[i] : T(0));
      }
    }
  });
  return out;
}
}  // namespace

// Backward, with g = dy * weight (dy without weight) and means over the normalized axes:
//   dx = (1 / sigma) * (g - mean(g) - xhat * mean(g * xhat))
//   dweight = sum over the other axes of dy * xhat,   dbias = the same of dy
// (the gradient of xhat = (x - mean) / sigma: the mean term removes the part of g along the
// constant direction, the xhat term the part along xhat itself, both of which normalisation
// cancels). Under create_graph xhat and 1 / sigma are recomputed from x, so dx is
// differentiable again.
Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight, const Var& bias,
               double eps) {
  const Axes axes = normalized_axes(x, normalized_shape, weight, bias, eps);
  Normalized n = normalize_rows(x.value(), axes, weight.defined() ? weight.value() : Tensor(),
                                bias.defined() ? bias.value() : Tensor(), eps);
  std::vector<Var> inputs{x};
  if (weight.defined()) inputs.push_back(weight);
  if (bias.defined()) inputs.push_back(bias);
  const bool has_weight = weight.defined(), has_bias = bias.defined();
  const std::size_t weight_at = 1, bias_at = has_weight ? 2 : 1;  // their input positions
  return record("layer_norm", std::move(n.y), inputs, has_weight ? kSaveIn0 | kSaveIn1 : kSaveIn0,
                [axes, eps, has_weight, has_bias, weight_at, bias_at](auto& c) {
                  const auto xhat =
                      c.saved_or("x_hat", [&] { return normalized(c.in(0), axes, eps); });
                  const auto g = has_weight ? c.dout * c.in(weight_at) : c.dout;
                  if (c.needs(0)) {
                    const auto rstd = c.saved_or("inverse_sigma",
                                                 [&] { return inverse_sigma(c.in(0), axes, eps); });
                    c.add(0, rstd * (g - mean(g, axes, true) - xhat * mean(g * xhat, axes, true)));
                  }
                  if (has_weight) c.add(weight_at, c.dout * xhat);
                  if (has_bias) c.add(bias_at, c.dout);
                },
                {{"x_hat", std::move(n.xhat)}, {"inverse_sigma", std::move(n.inverse_sigma)}});
}

Var layer_norm_composed(const Var& x, const Shape& normalized_shape, const Var& weight,
                        const Var& bias, double eps) {
  Var y = normalized(x, normalized_axes(x, normalized_shape, weight, bias, eps), eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

}  // namespace wengert
