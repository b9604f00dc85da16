// SoftmaxDecoder: the output layer of a language model. A linear map hidden -> vocabulary logits,
// their log-probabilities, and sampling a next token: greedy (argmax), or from
// softmax(logits / temperature) restricted to the k most likely tokens.
#pragma once

#include <cstdint>

#include "module.hpp"

namespace wengert::nn {

struct SamplingOptions {
  double temperature = 1.0;  // > 0; 0 means greedy
  std::int64_t top_k = 0;    // 0 = the whole vocabulary
  bool greedy = false;
};

class SoftmaxDecoder : public Module {
 public:
  // "weight" [V,H], "bias" [V], initialised like Linear (U(-1/sqrt(H), 1/sqrt(H))).
  SoftmaxDecoder(std::int64_t hidden, std::int64_t vocab, Generator& gen, DType dtype = DType::f32);
  Var forward(const Var& h) const;    // h [..., H] -> logits [..., V]
  Var log_probs(const Var& h) const;  // log_softmax(logits) over V
  // logits [B,V] -> ids i64 [B]. Greedy picks the first maximum; otherwise one draw per row
  // (gen.uniform(), rows in order) from softmax(logits / temperature) over the top_k logits
  // (ties at the k-th value broken towards the lower id).
  static Tensor sample(const Tensor& logits, const SamplingOptions& options, Generator& gen);

  std::int64_t hidden_size() const { return hidden_; }
  std::int64_t vocab_size() const { return vocab_; }
  const Var& weight() const { return weight_; }
  const Var& bias() const { return bias_; }

 private:
  std::int64_t hidden_, vocab_;
  Var weight_, bias_;
};

}  // namespace wengert::nn
