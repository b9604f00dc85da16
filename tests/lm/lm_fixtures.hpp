// Shared helpers of the lm tests: a small slice of The Time Machine (letters only), its char
// tokenizer and ids, tiny model/train configs, bitwise comparisons (support/support.hpp has the
// scratch folder and reading a file back).
#pragma once

#include <cstring>
#include <string>
#include <vector>
#include <wengert/lm.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/corpus.hpp>

#include "support/support.hpp"

namespace wengert::testing {

inline std::string corpus_path() { return source_path("data/timemachine.txt").string(); }

// The first `chars` characters of the letters-only Time Machine.
inline std::string slice(std::size_t chars) {
  wengert::text::CorpusOptions options;
  options.normalizer = wengert::text::Normalizer::letters_only;
  return wengert::text::load_corpus(corpus_path(), options).substr(0, chars);
}

struct Data {
  wengert::text::CharTokenizer tokenizer;
  wengert::lm::TokenSplit split;
};
inline Data char_data(std::size_t chars, double val_fraction = 0.1) {
  const std::string text = slice(chars);
  auto tokenizer = wengert::text::CharTokenizer::train(text);
  auto split = wengert::lm::split_tokens(tokenizer.encode(text), val_fraction);
  return {std::move(tokenizer), std::move(split)};
}

inline wengert::lm::ModelConfig tiny_model(std::int64_t vocab, std::int64_t hidden = 24) {
  wengert::lm::ModelConfig m;
  m.vocab_size = vocab;
  m.hidden = hidden;
  return m;
}

inline wengert::lm::TrainConfig tiny_train(std::int64_t epochs = 2) {
  wengert::lm::TrainConfig t;
  t.steps = 12;
  t.batch = 8;
  t.epochs = epochs;
  t.seed = 7;
  return t;
}

// Bitwise equality of two float tensors' contents.
inline bool same_bits(const wengert::Tensor& a, const wengert::Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  return std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
}

inline bool same_parameters(const wengert::lm::LanguageModel& a,
                            const wengert::lm::LanguageModel& b) {
  const auto sa = a.state_dict(), sb = b.state_dict();
  if (sa.size() != sb.size()) return false;
  for (std::size_t i = 0; i < sa.size(); ++i) {
    if (sa[i].first != sb[i].first || !same_bits(sa[i].second, sb[i].second)) return false;
  }
  return true;
}

}  // namespace wengert::testing
