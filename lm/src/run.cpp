// The run folder: corpus -> normalized text -> tokenizer -> ids -> train/validation split, the
// config.json that records how, and loading a finished model back.
#include "wengert/lm/run.hpp"

#include <nlohmann/json.hpp>
#include <wengert/nn/checkpoint.hpp>
#include <wengert/tensor/atomic_file.hpp>
#include <wengert/text/bpe_tokenizer.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/gpt2_tokenizer.hpp>
#include <wengert/text/word_tokenizer.hpp>

#include "detail/files.hpp"

namespace wengert::lm {

namespace fs = std::filesystem;

text::Normalizer parse_normalizer(std::string_view name) {
  return parse_enum(kNormalizerNames, name, "--normalize");
}

std::string load_text(const fs::path& corpus, const DataConfig& data) {
  check(!corpus.empty(), "no corpus given (--corpus FILE)");
  check(fs::exists(corpus), "corpus ", corpus.string(), ": no such file");
  check(!fs::is_directory(corpus), "corpus ", corpus.string(), ": is a directory");
  text::CorpusOptions options;
  options.invalid_utf8 = parse_enum(kInvalidUtf8Names, data.invalid_utf8, "--invalid-utf8");
  options.normalizer = parse_normalizer(data.normalize);
  return text::load_corpus(corpus, options);
}

text::ReservedTokens reserved_tokens(const DataConfig& data) {
  if (data.reserved != kReservedAuto) return text::parse_reserved_tokens(data.reserved);
  // What the model needs: BPE falls back to bytes and never emits <unk>; char and word map
  // unseen symbols to <unk>. <pad>, <bos> and <eos> are never predicted by the trainer.
  return data.tokenizer == "bpe" ? text::ReservedTokens::none : text::ReservedTokens::unk;
}

std::unique_ptr<text::Tokenizer> make_tokenizer(const DataConfig& data, std::string_view text) {
  if (data.tokenizer.starts_with("gpt2:")) {
    return std::make_unique<text::GPT2Tokenizer>(
        text::GPT2Tokenizer::load(data.tokenizer.substr(5)));
  }
  const text::ReservedTokens reserved = reserved_tokens(data);
  if (data.tokenizer == "char") {
    return std::make_unique<text::CharTokenizer>(
        text::CharTokenizer::train(text, {.vocab = text::reserved_vocab_options(reserved)}));
  }
  if (data.tokenizer == "word") {
    return std::make_unique<text::WordTokenizer>(
        text::WordTokenizer::train(text, {.vocab = text::reserved_vocab_options(reserved)}));
  }
  check(data.tokenizer == "bpe", "--tokenizer: expected char, word or bpe, got '", data.tokenizer,
        "'");
  text::BPETrainOptions options;
  options.reserved = text::reserved_token_list(reserved);
  options.num_merges = data.merges > 0 ? data.merges : 500;
  return std::make_unique<text::BPETokenizer>(text::BPETokenizer::train(text, options));
}

TokenSplit split_tokens(std::vector<std::int64_t> ids, double val_fraction) {
  const auto n = ids.size();
  const auto val = static_cast<std::size_t>(static_cast<double>(n) * val_fraction);
  TokenSplit split;
  split.val.assign(ids.end() - static_cast<std::ptrdiff_t>(val), ids.end());
  ids.resize(n - val);
  split.train = std::move(ids);
  return split;
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char b : bytes) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

std::int64_t count_code_points(std::string_view utf8) {
  std::int64_t n = 0;
  for (unsigned char b : utf8) n += (b & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

void save_run_config(const RunPaths& paths, const RunConfig& config, std::uint64_t corpus_hash) {
  nlohmann::json j = config;
  j["corpus_fnv1a"] = corpus_hash;
  j["tokenizer_fnv1a"] = fnv1a(detail::read_bytes(paths.tokenizer()));
  write_file_atomic(paths.config(), j.dump(2) + "\n", "save_run_config");
}

RunConfig load_run_config(const RunPaths& paths) {
  check(fs::exists(paths.config()), paths.dir.string(),
        ": not a wengert-lm run folder (no config.json)");
  const nlohmann::json j = detail::read_json(paths.config());
  try {
    RunConfig config = j.get<RunConfig>();
    config.validate();
    return config;
  } catch (const nlohmann::json::exception& e) {
    fail(paths.config().string(), ": ", e.what());
  } catch (const Error& e) {
    fail(paths.config().string(), ": ", e.what());
  }
}

void check_tokenizer_fingerprint(const RunPaths& paths) {
  const auto stored = detail::read_json(paths.config()).value("tokenizer_fnv1a", std::uint64_t{0});
  check(stored == 0 || stored == fnv1a(detail::read_bytes(paths.tokenizer())),
        paths.tokenizer().string(), ": not the tokenizer this model was trained with (its ",
        "fingerprint differs from the one in config.json)");
}

LoadedModel load_trained_model(const fs::path& dir, NonFiniteValues nonfinite) {
  const RunPaths paths{dir};
  check(fs::is_directory(dir), "model folder ", dir.string(), ": no such folder");
  LoadedModel loaded;
  loaded.config = load_run_config(paths);
  check(fs::exists(paths.tokenizer()), paths.tokenizer().string(), ": missing");
  check(fs::exists(paths.model()), paths.model().string(), ": missing (no finished epoch yet?)");
  check_tokenizer_fingerprint(paths);
  loaded.tokenizer = text::load_tokenizer(paths.tokenizer());
  const std::string& kind = loaded.config.data.tokenizer;
  check(loaded.tokenizer->kind() == kind.substr(0, kind.find(':')), paths.tokenizer().string(),
        ": a ", loaded.tokenizer->kind(), " tokenizer, but config.json says ",
        loaded.config.data.tokenizer);
  check(loaded.tokenizer->vocab_size() == loaded.config.model.vocab_size,
        paths.tokenizer().string(), ": vocabulary of ", loaded.tokenizer->vocab_size(),
        " tokens, but the model has ", loaded.config.model.vocab_size);
  if (nonfinite == NonFiniteValues::refuse)
    detail::check_finite(paths.model(), nn::load_safetensors(paths.model()).tensors);
  Generator gen(0);
  loaded.model = std::make_unique<LanguageModel>(loaded.config.model, gen);
  try {
    nn::load_module(paths.model(), *loaded.model);
  } catch (const Error& e) {
    fail(e.what(), " (is ", paths.model().string(), " from a different model? config.json says ",
         nn::cell_kind_name(loaded.config.model.cell), " H=", loaded.config.model.hidden, " x",
         loaded.config.model.layers, ")");
  }
  loaded.model->eval();
  return loaded;
}

}  // namespace wengert::lm
