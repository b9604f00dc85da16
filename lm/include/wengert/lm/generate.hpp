// Text generation: warm the recurrent state on a prefix, then draw one token at a time
// (nn::SoftmaxDecoder::sample: greedy, or softmax with temperature and top-k) and feed it back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <wengert/nn/decoder.hpp>
#include <wengert/text/tokenizer.hpp>

#include "model.hpp"

namespace wengert::lm {

// The prefix followed by `length` generated tokens, decoded. The prefix is encoded as is (apply
// the run's normalizer first); it must give at least one token. Eval mode, no graph.
std::string generate(LanguageModel& model, const text::Tokenizer& tokenizer,
                     std::string_view prefix, std::int64_t length,
                     const nn::SamplingOptions& sampling, Generator& gen);

}  // namespace wengert::lm
