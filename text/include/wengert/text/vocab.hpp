// Vocab: the token <-> id table of the char and word tokenizers. Ids are the reserved tokens
// first (in the given order), then the corpus tokens by decreasing frequency, ties broken by
// byte order, so the same corpus always gives the same ids. Tokens rarer than min_freq are left
// out and map to <unk>.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <wengert/tensor/enum_names.hpp>

#include "string_hash.hpp"

namespace wengert::text {

using TokenCounts = StringMap<std::int64_t>;

// <pad>, <bos>, <eos>, <unk>: ids 0..3 of every tokenizer built with the defaults.
std::vector<std::string> default_reserved_tokens();

struct VocabOptions {
  std::int64_t min_freq = 1;
  std::vector<std::string> reserved = default_reserved_tokens();
  // The token unknown tokens map to; prepended to `reserved` when missing from it. Empty: no
  // unknown token, and looking up an unknown token throws.
  std::string unk_token = "<unk>";
};

// Which reserved tokens a vocabulary starts with (wengert-lm --reserved):
//   none: no reserved token; looking up an unknown token throws;
//   unk:  <unk> only (d2l's vocabulary); unknown tokens map to it;
//   all:  <pad> <bos> <eos> <unk>, the defaults above.
enum class ReservedTokens { none, unk, all };
inline constexpr EnumName<ReservedTokens> kReservedTokensNames[] = {
    {ReservedTokens::none, "none"}, {ReservedTokens::unk, "unk"}, {ReservedTokens::all, "all"}};
ReservedTokens parse_reserved_tokens(std::string_view name);  // "none" | "unk" | "all"
std::vector<std::string> reserved_token_list(ReservedTokens which);
VocabOptions reserved_vocab_options(ReservedTokens which);  // min_freq 1

class Vocab {
 public:
  Vocab() = default;
  // Ids in list order; the first `num_reserved` tokens are the reserved ones. Throws on
  // duplicates, a bad count or an unk_token that is not in the list.
  Vocab(std::vector<std::string> tokens, std::vector<std::int64_t> frequencies,
        std::int64_t num_reserved, std::string unk_token);

  static Vocab from_counts(const TokenCounts& counts, const VocabOptions& options = {});
  static Vocab from_tokens(const std::vector<std::string>& tokens,
                           const VocabOptions& options = {});

  std::int64_t size() const { return static_cast<std::int64_t>(tokens_.size()); }
  std::optional<std::int64_t> find(std::string_view token) const;
  bool contains(std::string_view token) const { return find(token).has_value(); }
  // The id of `token`, or the unknown token's id; throws when there is no unknown token.
  std::int64_t id(std::string_view token) const;
  // Throws "Vocab::token: id 9 is out of range [0, 5)" for an unknown id.
  const std::string& token(std::int64_t id) const;
  std::int64_t frequency(std::int64_t id) const;  // 0 for reserved tokens
  std::optional<std::int64_t> unk_id() const { return unk_id_; }
  const std::string& unk_token() const { return unk_token_; }
  std::int64_t num_reserved() const { return num_reserved_; }
  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::vector<std::int64_t>& frequencies() const { return frequencies_; }

  // JSON file {"format": "wengert.vocab", ...}; save is atomic (temp file, then rename).
  void save(const std::filesystem::path& path) const;
  static Vocab load(const std::filesystem::path& path);

  friend bool operator==(const Vocab& a, const Vocab& b) {
    return a.tokens_ == b.tokens_ && a.frequencies_ == b.frequencies_ &&
           a.num_reserved_ == b.num_reserved_ && a.unk_token_ == b.unk_token_;
  }

 private:
  std::vector<std::string> tokens_;
  std::vector<std::int64_t> frequencies_;
  StringMap<std::int64_t> index_;
  std::int64_t num_reserved_ = 0;
  std::string unk_token_;
  std::optional<std::int64_t> unk_id_;
};

}  // namespace wengert::text
