// A run folder and the data steps around a Trainer: load and normalize the corpus, train the
// tokenizer, split the ids, and load a trained model back for eval/generate. The folder holds
//   config.json  tokenizer.json  model.safetensors (latest weights)  checkpoint/ (exact resume)
//   log.csv  perplexity.svg
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <wengert/text/corpus.hpp>
#include <wengert/text/tokenizer.hpp>

#include "config.hpp"
#include "model.hpp"

namespace wengert::lm {

struct RunPaths {
  std::filesystem::path dir;
  std::filesystem::path config() const { return dir / "config.json"; }
  std::filesystem::path tokenizer() const { return dir / "tokenizer.json"; }
  std::filesystem::path model() const { return dir / "model.safetensors"; }
  std::filesystem::path checkpoint() const { return dir / "checkpoint"; }
  std::filesystem::path csv() const { return dir / "log.csv"; }
  std::filesystem::path svg() const { return dir / "perplexity.svg"; }
};

text::Normalizer parse_normalizer(std::string_view name);  // none | lower | letters | d2l
// The reserved tokens of a new tokenizer: --reserved, or for "auto" what the model needs
// (bpe: none, it falls back to bytes; char and word: <unk> for unseen symbols).
text::ReservedTokens reserved_tokens(const DataConfig& data);
// The corpus file read as UTF-8 (invalid bytes become U+FFFD) and normalized as `data` says.
std::string load_text(const std::filesystem::path& corpus, const DataConfig& data);
// A char, word or bpe tokenizer trained on `text` (bpe: `merges` merges, 500 when 0), or
// GPT-2's tokenizer loaded from DIR for "gpt2:DIR" (encoder.json + vocab.bpe, or tokenizer.json).
std::unique_ptr<text::Tokenizer> make_tokenizer(const DataConfig& data, std::string_view text);

struct TokenSplit {
  std::vector<std::int64_t> train, val;
};
// The last floor(n * val_fraction) ids are validation, the rest training.
TokenSplit split_tokens(std::vector<std::int64_t> ids, double val_fraction);
std::uint64_t fnv1a(std::string_view bytes);  // corpus fingerprint kept in config.json
std::int64_t count_code_points(std::string_view utf8);

void save_run_config(const RunPaths& paths, const RunConfig& config, std::uint64_t corpus_hash);
RunConfig load_run_config(const RunPaths& paths);
// Throws unless tokenizer.json is the file whose FNV-1a config.json recorded (older folders
// without the record pass).
void check_tokenizer_fingerprint(const RunPaths& paths);

// A trained model with its tokenizer, for eval and generate. Throws a one-line error when a
// file is missing or the folder's parts disagree (tokenizer kind, vocabulary size, weights), or
// when the weights hold NaN or Inf (unless `nonfinite` allows them).
struct LoadedModel {
  RunConfig config;
  std::unique_ptr<text::Tokenizer> tokenizer;
  std::unique_ptr<LanguageModel> model;
};
LoadedModel load_trained_model(const std::filesystem::path& dir,
                               NonFiniteValues nonfinite = NonFiniteValues::refuse);

}  // namespace wengert::lm
