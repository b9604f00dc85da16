// Tokenizer: the interface a language-model trainer sees. Every tokenizer maps text to int64
// ids and back, knows its vocabulary size, saves itself to one JSON file (atomically: temp
// file, then rename) and is loaded back, whatever its kind, by load_tokenizer().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vocab.hpp"

namespace wengert::text {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  virtual std::string_view kind() const = 0;  // "char", "word" or "bpe"
  virtual std::int64_t vocab_size() const = 0;
  virtual std::vector<std::int64_t> encode(std::string_view text) const = 0;
  // Throws wengert::Error naming the id when an id is outside [0, vocab_size()).
  virtual std::string decode(std::span<const std::int64_t> ids) const = 0;

  // The text of one token (for BPE: its raw bytes, possibly a partial UTF-8 sequence).
  virtual std::string id_to_token(std::int64_t id) const = 0;
  // The id of a token's text, e.g. token_to_id("<eos>"); nullopt when absent.
  virtual std::optional<std::int64_t> token_to_id(std::string_view token) const = 0;

  // {"format": "wengert.tokenizer", "version": 1, "kind": ..., ...}, written atomically.
  void save(const std::filesystem::path& path) const;
  virtual void to_json(nlohmann::json& out) const = 0;  // the kind-specific fields
};

// Loads any tokenizer written by Tokenizer::save; throws wengert::Error naming the file on an
// unreadable, corrupt or unknown-kind file.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

// What train_tokenizer builds; fields that do not apply to `kind` are ignored.
struct TokenizerConfig {
  std::string kind = "char";    // "char", "word" or "bpe"
  VocabOptions vocab{};         // char and word
  bool byte_fallback = false;   // char: unknown characters become byte tokens, never <unk>
  std::int64_t vocab_size = 0;  // bpe: target vocabulary size (specials + 256 bytes + merges)
};

std::unique_ptr<Tokenizer> train_tokenizer(std::string_view corpus, const TokenizerConfig& config);

}  // namespace wengert::text
