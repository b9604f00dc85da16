// The common tokenizer file format and the factories: save() wraps the kind-specific fields in
// {"format": "wengert.tokenizer", "version": 1, "kind": ...}; load_tokenizer() dispatches on
// "kind"; train_tokenizer() builds any kind from a corpus.
#include <nlohmann/json.hpp>
#include <wengert/tensor/error.hpp>
#include <wengert/text/bpe_tokenizer.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/gpt2_tokenizer.hpp>
#include <wengert/text/tokenizer.hpp>
#include <wengert/text/word_tokenizer.hpp>

#include "detail/json_io.hpp"

namespace wengert::text {

void Tokenizer::save(const std::filesystem::path& path) const {
  nlohmann::json out;
  out["format"] = "wengert.tokenizer";
  out["version"] = 1;
  out["kind"] = std::string(kind());
  to_json(out);
  detail::save_json_atomic(path, out, "Tokenizer::save");
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path) {
  const nlohmann::json in = detail::read_json_file(path, "load_tokenizer");
  const std::string where = "load_tokenizer: '" + path.string() + "'";
  detail::check_format(in, "wengert.tokenizer", 1, where);
  const std::string kind = detail::string_field(in, "kind", where);
  if (kind == "char") return std::make_unique<CharTokenizer>(CharTokenizer::from_json(in, where));
  if (kind == "word") return std::make_unique<WordTokenizer>(WordTokenizer::from_json(in, where));
  if (kind == "bpe") return std::make_unique<BPETokenizer>(BPETokenizer::from_json(in, where));
  if (kind == "gpt2") return std::make_unique<GPT2Tokenizer>(GPT2Tokenizer::from_json(in, where));
  fail(where, ": unknown tokenizer kind '", kind, "' (expected char, word, bpe or gpt2)");
}

std::unique_ptr<Tokenizer> train_tokenizer(std::string_view corpus, const TokenizerConfig& config) {
  if (config.kind == "char") {
    return std::make_unique<CharTokenizer>(
        CharTokenizer::train(corpus, {config.vocab, config.byte_fallback}));
  }
  if (config.kind == "word") {
    return std::make_unique<WordTokenizer>(WordTokenizer::train(corpus, {config.vocab}));
  }
  if (config.kind == "bpe") {
    check(config.vocab_size > 0, "train_tokenizer: bpe needs vocab_size > 0");
    BPETrainOptions options;
    options.vocab_size = config.vocab_size;
    options.reserved = config.vocab.reserved;
    return std::make_unique<BPETokenizer>(BPETokenizer::train(corpus, options));
  }
  fail("train_tokenizer: unknown tokenizer kind '", config.kind, "' (expected char, word or bpe)");
}

}  // namespace wengert::text
