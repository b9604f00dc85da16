// The configuration of a language-model run: the model's shape (ModelConfig), how it is trained
// (TrainConfig) and where its text comes from (DataConfig), gathered in RunConfig. Each converts
// to and from JSON (the run folder's config.json) and validates itself with a one-line
// wengert::Error naming the offending option.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <wengert/nn/recurrent.hpp>
#include <wengert/text/batches.hpp>
#include <wengert/text/corpus.hpp>

namespace wengert::lm {

// How the token stream is cut into minibatches (d2l 9.3; text/batches.hpp):
//   random:     independent length-T subsequences at random offsets; the state is reset per batch;
//   sequential: B parallel streams read left to right; the state is carried across batches.
using text::Partition;

// How far gradients flow back through time (sequential partitioning; see truncation.hpp):
//   fixed:  through the T steps of each minibatch (detach at every batch boundary);
//   random: through segments of random length around T (Tallec & Ollivier 2017), optionally
//           reweighted so the gradient estimate is unbiased;
//   none:   through the whole stream of an epoch: one backward and one update per epoch.
enum class Truncation { fixed, random, none };

enum class OptimizerKind { sgd, adam };

// A non-finite loss or gradient norm (divergence): stop with an error naming the epoch and batch
// (the last checkpoint stays as it was), or skip that batch's update and go on.
enum class NonFinite { stop, skip_batch };
NonFinite parse_nonfinite(std::string_view name);  // stop | skip-batch
std::string_view nonfinite_name(NonFinite n);
// Loading weights, optimizer state or carried state that hold NaN or Inf (a diverged run): an
// error naming the file and tensor by default; `allow` loads them anyway, e.g. to inspect the
// run that diverged (wengert-lm eval/generate --allow-nonfinite).
enum class NonFiniteValues { refuse, allow };

// The names of each enum, for the CLI flags and config.json: one table each, read by
// parse_enum / enum_name (wengert/tensor/enum_names.hpp) and by the CLI's flag checks.
inline constexpr EnumName<Partition> kPartitionNames[] = {{Partition::random, "random"},
                                                          {Partition::sequential, "sequential"}};
inline constexpr EnumName<Truncation> kTruncationNames[] = {
    {Truncation::fixed, "fixed"}, {Truncation::random, "random"}, {Truncation::none, "none"}};
inline constexpr EnumName<OptimizerKind> kOptimizerNames[] = {{OptimizerKind::sgd, "sgd"},
                                                              {OptimizerKind::adam, "adam"}};
inline constexpr EnumName<NonFinite> kNonFiniteNames[] = {{NonFinite::stop, "stop"},
                                                          {NonFinite::skip_batch, "skip-batch"}};
inline constexpr EnumName<DType> kFloatDTypeNames[] = {{DType::f32, "f32"}, {DType::f64, "f64"}};
inline constexpr EnumName<text::Normalizer> kNormalizerNames[] = {
    {text::Normalizer::none, "none"},
    {text::Normalizer::lowercase, "lower"},
    {text::Normalizer::letters_only, "letters"},
    {text::Normalizer::d2l, "d2l"}};
inline constexpr EnumName<text::InvalidUtf8> kInvalidUtf8Names[] = {
    {text::InvalidUtf8::error, "error"}, {text::InvalidUtf8::replace, "replace"}};
// --reserved: this word, or a name of text::kReservedTokensNames.
inline constexpr std::string_view kReservedAuto = "auto";

Partition parse_partition(std::string_view name);
Truncation parse_truncation(std::string_view name);
OptimizerKind parse_optimizer(std::string_view name);
std::string_view partition_name(Partition p);
std::string_view truncation_name(Truncation t);
std::string_view optimizer_name(OptimizerKind o);

// Upper bounds of every size option and every size read from a run folder (see check_size).
namespace limits {
constexpr std::int64_t vocab_size = std::int64_t{1} << 24;
constexpr std::int64_t width = std::int64_t{1} << 16;  // --hidden, --embedding
constexpr std::int64_t layers = 1024;
constexpr std::int64_t steps = std::int64_t{1} << 20;
constexpr std::int64_t batch = std::int64_t{1} << 20;
constexpr std::int64_t epochs = std::int64_t{1} << 30;
constexpr std::int64_t merges = std::int64_t{1} << 24;
constexpr std::int64_t tokens = std::int64_t{1} << 40;  // --max-tokens
constexpr std::int64_t generate_length = std::int64_t{1} << 20;
constexpr std::int64_t threads = 1024;
}  // namespace limits

// Throws "<option> must be in [low, high], got value".
void check_size(std::string_view option, std::int64_t value, std::int64_t low, std::int64_t high);
// The same for reals, with `high` excluded when high_open; NaN is always refused.
void check_real(std::string_view option, double value, double low, double high, bool high_open);

struct ModelConfig {
  nn::CellKind cell = nn::CellKind::rnn_tanh;
  std::int64_t vocab_size = 0;  // V, set from the tokenizer
  std::int64_t embedding = 0;   // E; 0 = one-hot inputs (I = V)
  std::int64_t hidden = 256;    // H
  std::int64_t layers = 1;
  double dropout = 0.0;      // between layers and on the last layer's output, training only
  DType dtype = DType::f32;  // of the weights, states and logits: f32 or f64
  void validate() const;
};

DType parse_float_dtype(std::string_view name);  // f32 | f64

struct TrainConfig {
  std::int64_t steps =
      35;  // T: time steps per minibatch (mean segment length for random truncation)
  std::int64_t batch = 32;  // B
  std::int64_t epochs = 10;
  OptimizerKind optimizer = OptimizerKind::sgd;
  double lr = 1.0;
  double clip = 1.0;  // max global gradient norm; 0 = no clipping
  Partition partition = Partition::sequential;
  Truncation truncation = Truncation::fixed;
  bool unbiased = false;  // random truncation: reweight so the gradient is unbiased
  // Validation: the held-out ids read as this many parallel streams, each from a zero state and
  // carried across windows of `steps`; 1 = one stream through the whole text (d2l, most
  // papers); 0 = `batch` streams (faster, slightly higher perplexity).
  std::int64_t val_streams = 0;
  std::uint64_t seed = 42;
  NonFinite on_nonfinite = NonFinite::stop;
  // Gradient accumulation: one update per `accumulate` minibatches, with the mean of their
  // gradients (an effective batch of accumulate x batch sequences).
  std::int64_t accumulate = 1;
  std::int64_t validation_streams() const { return val_streams > 0 ? val_streams : batch; }
  void validate() const;
};

struct DataConfig {
  std::string corpus;                  // path of the text file
  std::string tokenizer = "char";      // char | word | bpe | gpt2:DIR (GPT-2's files in DIR)
  std::int64_t merges = 0;             // bpe only: number of merges (0 -> 500)
  std::string normalize = "letters";   // none | lower | letters | d2l (see text/corpus.hpp)
  std::string reserved = "auto";       // none | unk | all | auto (bpe: none, char/word: unk)
  double val_fraction = 0.1;           // the last part of the token stream, held out
  std::string invalid_utf8 = "error";  // error (naming the byte offset) | replace (by U+FFFD)
  std::int64_t max_tokens = 0;         // keep only the first N tokens (d2l's max_tokens); 0 = all
  void validate() const;
};

struct RunConfig {
  ModelConfig model;
  TrainConfig train;
  DataConfig data;
  int threads = 0;        // OpenMP threads; 0 = leave the default
  void validate() const;  // every part, and the thread count
};

void to_json(nlohmann::json& out, const ModelConfig& c);
void from_json(const nlohmann::json& in, ModelConfig& c);
void to_json(nlohmann::json& out, const TrainConfig& c);
void from_json(const nlohmann::json& in, TrainConfig& c);
void to_json(nlohmann::json& out, const DataConfig& c);
void from_json(const nlohmann::json& in, DataConfig& c);
// {"format": "wengert.lm.run", "version": 1, "model": ..., "train": ..., "data": ..., "threads": n}
void to_json(nlohmann::json& out, const RunConfig& c);
void from_json(const nlohmann::json& in, RunConfig& c);

}  // namespace wengert::lm
