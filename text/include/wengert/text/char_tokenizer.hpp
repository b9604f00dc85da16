// CharTokenizer: one token per Unicode code point (not per byte), vocabulary built from the
// training corpus. Unseen characters map to <unk>, or, with byte_fallback, to byte tokens
// "<0x00>".."<0xFF>" so that decode(encode(s)) == s for every byte string s, valid UTF-8 or not.
// Without byte_fallback, invalid UTF-8 is read as U+FFFD (usually <unk>).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer.hpp"
#include "vocab.hpp"

namespace wengert::text {

struct CharTokenizerOptions {
  VocabOptions vocab{};
  bool byte_fallback = false;
};

class CharTokenizer final : public Tokenizer {
 public:
  // Byte tokens must be present in `vocab` when byte_fallback is set (train() adds them after
  // the reserved tokens).
  CharTokenizer(Vocab vocab, bool byte_fallback);

  static CharTokenizer train(std::string_view corpus, const CharTokenizerOptions& options = {});
  static CharTokenizer load(const std::filesystem::path& path);
  static CharTokenizer from_json(const nlohmann::json& in, std::string_view where);

  std::string_view kind() const override { return "char"; }
  std::int64_t vocab_size() const override { return vocab_.size(); }
  std::vector<std::int64_t> encode(std::string_view text) const override;
  std::string decode(std::span<const std::int64_t> ids) const override;
  std::string id_to_token(std::int64_t id) const override { return vocab_.token(id); }
  std::optional<std::int64_t> token_to_id(std::string_view token) const override {
    return vocab_.find(token);
  }
  void to_json(nlohmann::json& out) const override;

  const Vocab& vocab() const { return vocab_; }
  bool byte_fallback() const { return byte_fallback_; }

 private:
  void encode_unknown(std::string_view bytes, std::vector<std::int64_t>& out) const;

  Vocab vocab_;
  bool byte_fallback_;
  std::array<std::int64_t, 128> ascii_ids_;         // -1: not in the vocabulary
  std::unordered_map<char32_t, std::int64_t> ids_;  // non-ASCII code points
  std::array<std::int64_t, 256> byte_ids_;          // ids of "<0xNN>" when byte_fallback
  std::vector<std::int16_t> byte_of_id_;            // id -> byte value, or -1
};

// "<0x41>": the name of a byte token.
std::string byte_token_name(unsigned char byte);

}  // namespace wengert::text
