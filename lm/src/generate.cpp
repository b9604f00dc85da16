// generate(): prefix warm-up in one sequence, then a one-step loop that samples and feeds back.
#include "wengert/lm/generate.hpp"

#include <limits>
#include <vector>

namespace wengert::lm {

std::string generate(LanguageModel& model, const text::Tokenizer& tokenizer,
                     std::string_view prefix, std::int64_t length,
                     const nn::SamplingOptions& sampling, Generator& gen) {
  check(length >= 0, "generate: --length must be >= 0, got ", length);
  std::vector<std::int64_t> ids = tokenizer.encode(prefix);
  check(!ids.empty(), "generate: the prefix is empty (give --prefix with at least one token)");
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  nn::RecurrentState state;
  const auto warm = static_cast<std::int64_t>(ids.size()) - 1;
  if (warm > 0) {
    std::vector<std::int64_t> head(ids.begin(), ids.end() - 1);
    state = model.forward(from_vector(std::move(head), {warm, 1}), state, gen).state;
  }
  // <pad>, <bos> and <eos> never occur in a training stream: never sample them either.
  std::vector<std::int64_t> masked;
  for (const char* special : {"<pad>", "<bos>", "<eos>"}) {
    if (auto id = tokenizer.token_to_id(special)) masked.push_back(*id);
  }
  const std::int64_t V = model.config().vocab_size;
  std::int64_t last = ids.back();
  for (std::int64_t i = 0; i < length; ++i) {
    auto out = model.forward(from_vector(std::vector<std::int64_t>{last}, {1, 1}), state, gen);
    Tensor logits = out.logits.value().reshape({1, V}).to(DType::f64).contiguous();
    for (std::int64_t id : masked) {
      if (id >= 0 && id < V) logits.data<double>()[id] = -std::numeric_limits<double>::infinity();
    }
    last = static_cast<std::int64_t>(nn::SoftmaxDecoder::sample(logits, sampling, gen).item());
    ids.push_back(last);
    state = std::move(out.state);
  }
  model.train(was_training);
  return tokenizer.decode(ids);
}

}  // namespace wengert::lm
