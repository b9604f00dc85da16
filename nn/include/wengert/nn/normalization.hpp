// Layer normalisation (Ba, Kiros & Hinton 2016), as torch.nn.LayerNorm: over the trailing axes
// given by normalized_shape,
//   y = (x - mean) / sqrt(var + eps) * weight + bias     var biased (divides by n, not n - 1)
// weight starts at ones and bias at zeros. The forward is the fused autograd op layer_norm
// (ops.hpp).
#pragma once

#include <cstdint>

#include "module.hpp"

namespace wengert::nn {

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;  // false: no weight and no bias
  bool bias = true;                // false: weight only
  DType dtype = DType::f32;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  Var forward(const Var& x) const;  // x [..., *normalized_shape] -> same shape
  const Shape& normalized_shape() const { return shape_; }
  const Var& weight() const { return weight_; }  // undefined without elementwise_affine
  const Var& bias() const { return bias_; }      // undefined without bias
  std::string type_name() const override;        // "LayerNorm([8], eps=1e-05)"

 private:
  Shape shape_;
  double eps_;
  Var weight_, bias_;
};

}  // namespace wengert::nn
