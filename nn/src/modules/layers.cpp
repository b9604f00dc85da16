// Linear, Embedding and Dropout: shape checks that name the layer, then one or two autograd ops.
#include <cmath>
#include <wengert/nn/init.hpp>
#include <wengert/nn/layers.hpp>

namespace wengert::nn {

Var linear(const Var& x, const Var& weight, const Var& bias) {
  check(weight.dim() == 2, "linear: weight must be [out, in], got ", ShapePrinter{weight.shape()});
  check(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear: input ", ShapePrinter{x.shape()},
        " does not end in in_features = ", weight.size(1), " (weight ",
        ShapePrinter{weight.shape()}, ")");
  const Var y = matmul(x, transpose(weight, 0, 1));  // [..., in] @ [in, out] -> [..., out]
  return bias.defined() ? y + bias : y;
}

Linear::Linear(std::int64_t in, std::int64_t out, Generator& gen, bool bias, DType dtype)
    : in_(in), out_(out) {
  check(in > 0 && out > 0, "Linear: sizes must be positive, got in = ", in, ", out = ", out);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  weight_ = register_parameter("weight", init::uniform_bound({out, in}, bound, gen, dtype));
  if (bias) bias_ = register_parameter("bias", init::uniform_bound({out}, bound, gen, dtype));
}

Var Linear::forward(const Var& x) const {
  check(x.dim() >= 1 && x.size(-1) == in_, "Linear(", in_, " -> ", out_, "): input ",
        ShapePrinter{x.shape()}, " must end in ", in_);
  return linear(x, weight_, bias_);
}

Embedding::Embedding(std::int64_t num, std::int64_t dim, Generator& gen, DType dtype)
    : num_(num), dim_(dim) {
  check(num > 0 && dim > 0, "Embedding: sizes must be positive, got num = ", num, ", dim = ", dim);
  weight_ = register_parameter("weight", normal({num, dim}, 0.0, 1.0, gen, dtype));
}

Var Embedding::forward(const Tensor& ids) const {
  check(ids.dtype() == DType::i64, "Embedding(", num_, ", ", dim_, "): ids must be i64, got ",
        dtype_name(ids.dtype()), " ", ShapePrinter{ids.shape()});
  for (const std::int64_t id : ids.to_vector<std::int64_t>())
    check(id >= 0 && id < num_, "Embedding(", num_, ", ", dim_, "): id ", id, " out of range [0, ",
          num_, ") in ids ", ShapePrinter{ids.shape()});
  return index_select(weight_, 0, ids);  // [...] -> [..., dim]
}

Dropout::Dropout(double p) : p_(p) {
  check(p >= 0.0 && p <= 1.0, "Dropout: p must be in [0, 1], got ", p);
}

Var Dropout::forward(const Var& x, Generator& gen) const {
  return dropout(x, p_, gen, is_training());
}

}  // namespace wengert::nn
