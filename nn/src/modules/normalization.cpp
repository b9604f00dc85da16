// LayerNorm: the module around the fused op layer_norm (autograd/src/ops_norm.cpp).
#include <sstream>
#include <wengert/nn/normalization.hpp>

namespace wengert::nn {

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
