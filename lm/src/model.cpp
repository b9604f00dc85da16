// LanguageModel: inputs, the recurrent stack and the decoder.
#include "wengert/lm/model.hpp"

namespace wengert::lm {

LanguageModel::LanguageModel(const ModelConfig& config, Generator& gen) : config_(config) {
  config_.validate();
  const std::int64_t input_size = config.embedding > 0 ? config.embedding : config.vocab_size;
  if (config.embedding > 0) {
    embedding_ = register_module(
        "embedding",
        std::make_shared<nn::Embedding>(config.vocab_size, config.embedding, gen, config.dtype));
  }
  rnn_ = register_module(
      "rnn", std::make_shared<nn::Recurrent>(
                 config.cell, input_size, config.hidden, config.layers, gen,
                 nn::RecurrentOptions{.dropout = config.dropout, .dtype = config.dtype}));
  decoder_ = register_module("decoder", std::make_shared<nn::SoftmaxDecoder>(
                                            config.hidden, config.vocab_size, gen, config.dtype));
}

Var LanguageModel::inputs(const Tensor& ids) const {
  check(ids.dim() == 2 && ids.dtype() == DType::i64, "LanguageModel: ids must be i64 [T, B], got ",
        ids.dtype(), " ", shape_str(ids.shape()));
  if (embedding_) return embedding_->forward(ids);
  return Var(ids);  // one-hot inputs: the recurrent layer takes the ids themselves
}

LanguageModel::Output LanguageModel::forward(const Tensor& ids, const nn::RecurrentState& state,
                                             Generator& gen,
                                             const StepReweighting* reweighting) const {
  const Var x = inputs(ids);  // [T, B, E] embedded, or the ids [T, B] for one-hot inputs
  // Randomized truncation's reweighting runs inside the fused layers' backward, in one pass.
  nn::StateGradientScale scale;
  if (reweighting != nullptr) scale = {reweighting->plain_steps, reweighting->factor};
  auto [hidden, last] = rnn_->forward(x, state, gen, scale);
  if (config_.dropout > 0) hidden = dropout(hidden, config_.dropout, gen, is_training());
  return {decoder_->forward(hidden), std::move(last)};
}

}  // namespace wengert::lm
