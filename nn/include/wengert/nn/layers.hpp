// The feed-forward layers: Linear (y = x W^T + b), Embedding (a row lookup) and Dropout.
// Parameter names, shapes and default initialisation follow PyTorch.
#pragma once

#include <cstdint>

#include "module.hpp"

namespace wengert::nn {

// y = x W^T + b for x [..., in], W [out, in], b [out] (b may be undefined).
Var linear(const Var& x, const Var& weight, const Var& bias);

class Linear : public Module {
 public:
  // weight ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5)), bias the same bound.
  Linear(std::int64_t in, std::int64_t out, Generator& gen, bool bias = true,
         DType dtype = DType::f32);
  Var forward(const Var& x) const;  // x [..., in] -> [..., out]
  std::int64_t in_features() const { return in_; }
  std::int64_t out_features() const { return out_; }
  const Var& weight() const { return weight_; }
  const Var& bias() const { return bias_; }  // undefined when built without bias

 private:
  std::int64_t in_, out_;
  Var weight_, bias_;
};

class Embedding : public Module {
 public:
  Embedding(std::int64_t num, std::int64_t dim, Generator& gen,
            DType dtype = DType::f32);   // N(0, 1)
  Var forward(const Tensor& ids) const;  // ids i64 of any shape, in [0, num) -> [..., dim]
  std::int64_t num_embeddings() const { return num_; }
  std::int64_t embedding_dim() const { return dim_; }
  const Var& weight() const { return weight_; }

 private:
  std::int64_t num_, dim_;
  Var weight_;
};

// Inverted dropout while training (y = x * mask / (1 - p)); the identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(double p);
  Var forward(const Var& x, Generator& gen) const;
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace wengert::nn
