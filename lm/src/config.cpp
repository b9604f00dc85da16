// RunConfig <-> JSON and the checks that turn a bad option into a one-line error before any
// work starts. Unknown JSON keys are ignored; missing ones keep their defaults, so older run
// folders still load.
#include "wengert/lm/config.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>
#include <wengert/text/vocab.hpp>

namespace wengert::lm {

namespace {

// in.value(key, fallback) for a config file: a missing key keeps the fallback, but a value of
// another type, or an integer outside T's range, is an error naming the key (nlohmann's own
// error names neither, and it narrows integers silently: "threads": 2^32 + 1 would read as 1).
template <class T>
T read(const nlohmann::json& in, const char* key, const T& fallback) {
  const auto it = in.find(key);
  if (it == in.end()) return fallback;
  const nlohmann::json& v = *it;
  if constexpr (std::is_same_v<T, std::string>) {
    check(v.is_string(), "\"", key, "\" must be a string, got ", v.type_name());
    return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    check(v.is_boolean(), "\"", key, "\" must be true or false, got ", v.type_name());
    return v.get<bool>();
  } else if constexpr (std::is_floating_point_v<T>) {
    check(v.is_number(), "\"", key, "\" must be a number, got ", v.type_name());
    return v.get<T>();
  } else {
    check(v.is_number_integer(), "\"", key, "\" must be an integer, got ", v.dump());
    const bool fits = v.is_number_unsigned() ? std::in_range<T>(v.get<std::uint64_t>())
                                             : std::in_range<T>(v.get<std::int64_t>());
    check(fits, "\"", key, "\" is out of range: ", v.dump());
    return v.get<T>();
  }
}

// The section of a config ("model", "train", "data") must be an object.
void check_object(const nlohmann::json& in, const char* what) {
  check(in.is_object(), what, " must be a JSON object, got ", in.type_name());
}

}  // namespace
Partition parse_partition(std::string_view name) {
  return parse_enum(kPartitionNames, name, "partition");
}
Truncation parse_truncation(std::string_view name) {
  return parse_enum(kTruncationNames, name, "truncation");
}
OptimizerKind parse_optimizer(std::string_view name) {
  return parse_enum(kOptimizerNames, name, "optimizer");
}
NonFinite parse_nonfinite(std::string_view name) {
  return parse_enum(kNonFiniteNames, name, "--on-nonfinite");
}
std::string_view nonfinite_name(NonFinite n) { return enum_name(kNonFiniteNames, n); }
std::string_view partition_name(Partition p) { return enum_name(kPartitionNames, p); }
std::string_view truncation_name(Truncation t) { return enum_name(kTruncationNames, t); }
std::string_view optimizer_name(OptimizerKind o) { return enum_name(kOptimizerNames, o); }

// Every size has an upper bound far beyond any real run, so that products of sizes fit in int64
// and a typo (or a hostile config.json) gets a one-line error instead of an allocation of
// exabytes or a loop that never ends.
void check_size(std::string_view option, std::int64_t value, std::int64_t low, std::int64_t high) {
  check(value >= low && value <= high, option, " must be in [", low, ", ", high, "], got ", value);
}
void check_real(std::string_view option, double value, double low, double high, bool high_open) {
  check(value >= low && (high_open ? value < high : value <= high), option, " must be in [", low,
        ", ", high, high_open ? ")" : "]", ", got ", value);  // (NaN fails every comparison)
}

void ModelConfig::validate() const {
  check_size("model: vocabulary size", vocab_size, 1, limits::vocab_size);
  check_size("--embedding (0 = one-hot)", embedding, 0, limits::width);
  check_size("--hidden", hidden, 1, limits::width);
  check_size("--layers", layers, 1, limits::layers);
  check_real("--dropout", dropout, 0, 1, true);
  check(dtype == DType::f32 || dtype == DType::f64, "--dtype: expected f32 or f64, got ", dtype);
}

DType parse_float_dtype(std::string_view name) {
  return parse_enum(kFloatDTypeNames, name, "--dtype");
}

void TrainConfig::validate() const {
  check_size("--steps", steps, 1, limits::steps);
  check_size("--batch", batch, 1, limits::batch);
  check_size("--epochs", epochs, 0, limits::epochs);
  check(lr > 0 && std::isfinite(lr), "--lr must be positive and finite, got ", lr);
  check(clip >= 0 && std::isfinite(clip), "--clip must be >= 0 (0 = off) and finite, got ", clip);
  check(partition == Partition::sequential || truncation == Truncation::fixed, "--truncation ",
        truncation_name(truncation),
        " needs --partition sequential (random partitioning resets the state every batch)");
  check(!unbiased || truncation == Truncation::random, "--unbiased needs --truncation random");
  check_size("--val-streams (0 = --batch)", val_streams, 0, limits::batch);
  check_size("--accumulate", accumulate, 1, limits::batch);
  check(accumulate == 1 || truncation != Truncation::none,
        "--accumulate needs --truncation fixed or random (none makes one update per epoch)");
}

void DataConfig::validate() const {
  try {
    (void)nlohmann::json(corpus).dump();  // config.json stores the path as JSON text
  } catch (const nlohmann::json::exception&) {
    fail("--corpus: the path is not valid UTF-8 (config.json stores it as text); rename the file");
  }
  check(tokenizer == "char" || tokenizer == "word" || tokenizer == "bpe" ||
            (tokenizer.starts_with("gpt2:") && tokenizer.size() > 5),
        "--tokenizer: expected char, word, bpe or gpt2:DIR, got '", tokenizer, "'");
  check_size("--merges", merges, 0, limits::merges);
  check(merges == 0 || tokenizer == "bpe", "--merges only applies to --tokenizer bpe");
  parse_enum(kNormalizerNames, normalize, "--normalize");
  check(reserved == kReservedAuto || find_enum(text::kReservedTokensNames, reserved),
        "--reserved: expected ", kReservedAuto, ", ", enum_names_list(text::kReservedTokensNames),
        ", got '", reserved, "'");
  check_real("--val-fraction", val_fraction, 0, 1, true);
  check_size("--max-tokens", max_tokens, 0, limits::tokens);
  parse_enum(kInvalidUtf8Names, invalid_utf8, "--invalid-utf8");
}

void RunConfig::validate() const {
  model.validate();
  train.validate();
  data.validate();
  check_size("--threads", threads, 0, limits::threads);
}

void to_json(nlohmann::json& out, const ModelConfig& c) {
  out = {{"cell", std::string(nn::cell_kind_name(c.cell))},
         {"vocab_size", c.vocab_size},
         {"embedding", c.embedding},
         {"hidden", c.hidden},
         {"layers", c.layers},
         {"dropout", c.dropout},
         {"dtype", std::string(dtype_name(c.dtype))}};
}
void from_json(const nlohmann::json& in, ModelConfig& c) {
  check_object(in, "model");
  c.cell = nn::parse_cell_kind(read(in, "cell", std::string(nn::cell_kind_name(c.cell))));
  c.vocab_size = read(in, "vocab_size", c.vocab_size);
  c.embedding = read(in, "embedding", c.embedding);
  c.hidden = read(in, "hidden", c.hidden);
  c.layers = read(in, "layers", c.layers);
  c.dropout = read(in, "dropout", c.dropout);
  c.dtype = parse_float_dtype(read(in, "dtype", std::string(dtype_name(c.dtype))));
}

void to_json(nlohmann::json& out, const TrainConfig& c) {
  out = {{"steps", c.steps},
         {"batch", c.batch},
         {"epochs", c.epochs},
         {"optimizer", std::string(optimizer_name(c.optimizer))},
         {"lr", c.lr},
         {"clip", c.clip},
         {"partition", std::string(partition_name(c.partition))},
         {"truncation", std::string(truncation_name(c.truncation))},
         {"unbiased", c.unbiased},
         {"val_streams", c.val_streams},
         {"seed", c.seed},
         {"on_nonfinite", std::string(nonfinite_name(c.on_nonfinite))},
         {"accumulate", c.accumulate}};
}
void from_json(const nlohmann::json& in, TrainConfig& c) {
  check_object(in, "train");
  c.steps = read(in, "steps", c.steps);
  c.batch = read(in, "batch", c.batch);
  c.epochs = read(in, "epochs", c.epochs);
  c.optimizer = parse_optimizer(read(in, "optimizer", std::string(optimizer_name(c.optimizer))));
  c.lr = read(in, "lr", c.lr);
  c.clip = read(in, "clip", c.clip);
  c.partition = parse_partition(read(in, "partition", std::string(partition_name(c.partition))));
  c.truncation =
      parse_truncation(read(in, "truncation", std::string(truncation_name(c.truncation))));
  c.unbiased = read(in, "unbiased", c.unbiased);
  c.val_streams = read(in, "val_streams", c.val_streams);
  c.seed = read(in, "seed", c.seed);
  c.on_nonfinite =
      parse_nonfinite(read(in, "on_nonfinite", std::string(nonfinite_name(c.on_nonfinite))));
  c.accumulate = read(in, "accumulate", c.accumulate);
}

void to_json(nlohmann::json& out, const DataConfig& c) {
  out = {{"corpus", c.corpus},         {"tokenizer", c.tokenizer},
         {"merges", c.merges},         {"normalize", c.normalize},
         {"reserved", c.reserved},     {"val_fraction", c.val_fraction},
         {"max_tokens", c.max_tokens}, {"invalid_utf8", c.invalid_utf8}};
}
void from_json(const nlohmann::json& in, DataConfig& c) {
  check_object(in, "data");
  c.corpus = read(in, "corpus", c.corpus);
  c.tokenizer = read(in, "tokenizer", c.tokenizer);
  c.merges = read(in, "merges", c.merges);
  c.normalize = read(in, "normalize", c.normalize);
  c.reserved = read(in, "reserved", std::string("all"));  // runs from before the option: all
  c.val_fraction = read(in, "val_fraction", c.val_fraction);
  c.max_tokens = read(in, "max_tokens", c.max_tokens);
  c.invalid_utf8 = read(in, "invalid_utf8", c.invalid_utf8);
}

void to_json(nlohmann::json& out, const RunConfig& c) {
  out = {{"format", "wengert.lm.run"}, {"version", 1},   {"model", c.model},
         {"train", c.train},           {"data", c.data}, {"threads", c.threads}};
}
void from_json(const nlohmann::json& in, RunConfig& c) {
  check(in.is_object() && read(in, "format", std::string()) == "wengert.lm.run",
        "config: not a wengert.lm.run config (\"format\" is missing or different)");
  check(read(in, "version", 0) == 1, "config: unsupported version ", read(in, "version", 0));
  if (in.contains("model")) in.at("model").get_to(c.model);
  if (in.contains("train")) in.at("train").get_to(c.train);
  if (in.contains("data")) in.at("data").get_to(c.data);
  c.threads = read(in, "threads", c.threads);
}

}  // namespace wengert::lm
