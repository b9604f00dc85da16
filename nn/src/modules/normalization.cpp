// LayerNorm: the composed forward (see normalization.hpp for the formula) and the module.
#include <sstream>
#include <wengert/nn/normalization.hpp>

namespace wengert::nn {

Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight, const Var& bias,
               double eps) {
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
    check(!p->defined() || p->shape() == normalized_shape, "layer_norm: weight and bias must be ",
          ShapePrinter{normalized_shape}, ", got ", ShapePrinter{p->shape()});
  Axes axes;
  for (std::int64_t i = x.dim() - k; i < x.dim(); ++i) axes.push_back(i);
  const Var centered = x - mean(x, axes, /*keepdim=*/true);
  const Var var = mean(centered * centered, axes, /*keepdim=*/true);
  Var y = centered / sqrt(var + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

LayerNorm::LayerNorm(Shape normalized_shape, LayerNormOptions options)
    : shape_(std::move(normalized_shape)), eps_(options.eps) {
  check(!shape_.empty(), "LayerNorm: normalized_shape must not be empty");
  for (const std::int64_t n : shape_)
    check(n > 0, "LayerNorm: normalized_shape ", ShapePrinter{shape_}, " must be positive");
  check(eps_ >= 0, "LayerNorm: eps must be >= 0, got ", eps_);
  check(is_floating(options.dtype), "LayerNorm: dtype must be f32 or f64");
  if (options.elementwise_affine) {
    weight_ = register_parameter("weight", ones(shape_, options.dtype));
    if (options.bias) bias_ = register_parameter("bias", zeros(shape_, options.dtype));
  }
}

Var LayerNorm::forward(const Var& x) const { return layer_norm(x, shape_, weight_, bias_, eps_); }

std::string LayerNorm::type_name() const {
  std::ostringstream out;
  out << "LayerNorm(" << shape_str(shape_) << ", eps=" << eps_ << ")";
  return out.str();
}

}  // namespace wengert::nn
