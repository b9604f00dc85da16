// LanguageModel: token ids -> inputs (one-hot, or an Embedding) -> nn::Recurrent (RNN, GRU or
// LSTM, any number of layers) -> nn::SoftmaxDecoder logits over the vocabulary. Time-major:
// ids [T, B] give logits [T, B, V]. Parameters are named "embedding.weight", "rnn.weight_ih_l0",
// ..., "decoder.weight", "decoder.bias".
#pragma once

#include <cstdint>
#include <memory>
#include <wengert/nn/decoder.hpp>
#include <wengert/nn/layers.hpp>
#include <wengert/nn/module.hpp>
#include <wengert/nn/recurrent.hpp>

#include "config.hpp"

namespace wengert::lm {

// Randomized truncation's reweighting: the gradient of the state entering each step from
// `plain_steps` on is scaled by `factor`, inside the fused layers' backward
// (nn::StateGradientScale; tests/lm/test_unbiased_fused.cpp checks it against scale_gradient
// between single steps).
struct StepReweighting {
  std::int64_t plain_steps = 0;
  double factor = 1.0;
};

class LanguageModel : public nn::Module {
 public:
  LanguageModel(const ModelConfig& config, Generator& gen);

  struct Output {
    Var logits;                // [T, B, V]
    nn::RecurrentState state;  // after the last step
  };
  // ids i64 [T, B]; an empty state starts from zeros. `gen` drives dropout (training only).
  Output forward(const Tensor& ids, const nn::RecurrentState& state, Generator& gen,
                 const StepReweighting* reweighting = nullptr) const;
  Var inputs(const Tensor& ids) const;  // [T, B] -> [T, B, I]

  const ModelConfig& config() const { return config_; }
  const nn::Recurrent& rnn() const { return *rnn_; }
  const nn::SoftmaxDecoder& decoder() const { return *decoder_; }
  std::string type_name() const override { return "LanguageModel"; }

 private:
  ModelConfig config_;
  std::shared_ptr<nn::Embedding> embedding_;  // null: one-hot inputs
  std::shared_ptr<nn::Recurrent> rnn_;
  std::shared_ptr<nn::SoftmaxDecoder> decoder_;
};

}  // namespace wengert::lm
