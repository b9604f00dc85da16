// WordTokenizer: words and punctuation as separate tokens, vocabulary from the training corpus.
// Rules of split_words():
//  1. Whitespace separates tokens and is dropped (ASCII whitespace, NBSP, U+2000..U+200A,
//     U+2028/U+2029, U+202F, U+205F, U+3000).
//  2. A word is a maximal run of word characters: ASCII letters and digits, '_', and every
//     non-ASCII character that is not punctuation (so "café" and "naïve" stay whole).
//  3. An apostrophe (' or U+2019) or hyphen (-) between two word characters belongs to the
//     word: "don't", "well-known", "o'clock".
//  4. Every other character (ASCII punctuation, Latin-1 punctuation U+00A1..U+00BF, general
//     punctuation U+2010..U+206F, CJK punctuation U+3001..U+303F) is a token of its own.
// decode() joins tokens with single spaces: word tokenization does not keep the spacing.
// Invalid UTF-8 is read as U+FFFD.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer.hpp"
#include "vocab.hpp"

namespace wengert::text {

// The tokens of `text` (valid UTF-8) by the rules above, as views into `text`.
std::vector<std::string_view> split_words(std::string_view text);

struct WordTokenizerOptions {
  VocabOptions vocab{};
};

class WordTokenizer final : public Tokenizer {
 public:
  explicit WordTokenizer(Vocab vocab);

  static WordTokenizer train(std::string_view corpus, const WordTokenizerOptions& options = {});
  static WordTokenizer load(const std::filesystem::path& path);
  static WordTokenizer from_json(const nlohmann::json& in, std::string_view where);

  std::string_view kind() const override { return "word"; }
  std::int64_t vocab_size() const override { return vocab_.size(); }
  std::vector<std::int64_t> encode(std::string_view text) const override;
  std::string decode(std::span<const std::int64_t> ids) const override;
  std::string id_to_token(std::int64_t id) const override { return vocab_.token(id); }
  std::optional<std::int64_t> token_to_id(std::string_view token) const override {
    return vocab_.find(token);
  }
  void to_json(nlohmann::json& out) const override;

  const Vocab& vocab() const { return vocab_; }

 private:
  Vocab vocab_;
};

}  // namespace wengert::text
