// BPETokenizer: byte-level byte-pair encoding (Sennrich et al. 2016). The base alphabet is the
// 256 bytes, so any input encodes without <unk> and decode(encode(s)) == s for every byte
// string s. Training merges the most frequent adjacent pair, counted inside pre-tokenized
// chunks (split_bpe_chunks); ties go to the pair with the smallest (left id, right id).
// Ids: the reserved tokens (<pad>, <bos>, <eos>, <unk>), then bytes 0..255, then one id per
// merge in the order learned, so the id of merge r is also its rank.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "string_hash.hpp"
#include "tokenizer.hpp"

namespace wengert::text {

// Chunks that merges never cross: an optional single leading ' ' followed by a run of letters
// (A-Z, a-z and every byte >= 0x80, so UTF-8 sequences stay whole), or of digits, or of other
// non-space bytes; whitespace runs form their own chunks, except that a final ' ' before a
// non-space goes with the next chunk ("Hello, world" -> "Hello" "," " world"). Runs longer than
// max_chunk_bytes are cut, which bounds the cost of pathological input. The chunks concatenate
// back to `text`.
inline constexpr std::size_t max_chunk_bytes = 128;
std::vector<std::string_view> split_bpe_chunks(std::string_view text);

struct BPETrainOptions {
  std::int64_t vocab_size = 0;     // reserved + 256 + merges; when > 0 it sets num_merges
  std::int64_t num_merges = 0;     // used when vocab_size == 0
  std::int64_t min_pair_freq = 2;  // stop early when the best pair is rarer than this
  std::vector<std::string> reserved = default_reserved_tokens();
};

struct BPEMerge {
  std::int32_t left;
  std::int32_t right;
  friend bool operator==(const BPEMerge&, const BPEMerge&) = default;
};

class BPETokenizer final : public Tokenizer {
 public:
  // Throws when a merge refers to an id that does not exist yet or repeats an earlier pair.
  explicit BPETokenizer(std::vector<BPEMerge> merges,
                        std::vector<std::string> reserved = default_reserved_tokens());
  BPETokenizer(BPETokenizer&&) noexcept;
  BPETokenizer& operator=(BPETokenizer&&) noexcept;
  ~BPETokenizer() override;

  static BPETokenizer train(std::string_view corpus, const BPETrainOptions& options);
  static BPETokenizer load(const std::filesystem::path& path);
  static BPETokenizer from_json(const nlohmann::json& in, std::string_view where);

  std::string_view kind() const override { return "bpe"; }
  std::int64_t vocab_size() const override { return static_cast<std::int64_t>(tokens_.size()); }
  // Thread-safe; chunks already seen are served from a per-tokenizer cache.
  std::vector<std::int64_t> encode(std::string_view text) const override;
  // The ids of chunks cut by another pre-tokenizer (GPT2Tokenizer's), through the same cache.
  std::vector<std::int64_t> encode_chunks(std::span<const std::string_view> chunks) const;
  std::string decode(std::span<const std::int64_t> ids) const override;
  std::string id_to_token(std::int64_t id) const override;
  std::optional<std::int64_t> token_to_id(std::string_view token) const override;
  void to_json(nlohmann::json& out) const override;

  const std::vector<BPEMerge>& merges() const { return merges_; }
  const std::vector<std::string>& reserved() const { return reserved_; }
  std::int64_t byte_id(unsigned char byte) const { return num_reserved() + byte; }
  std::int64_t num_reserved() const { return static_cast<std::int64_t>(reserved_.size()); }

  // Ids of one chunk by merge rank: the heap-based kernel used for long chunks, and the
  // quadratic reference it is tested against. Both apply the lowest-rank pair first, leftmost
  // first among equals.
  void encode_chunk(std::string_view chunk, std::vector<std::int32_t>& out) const;
  void encode_chunk_reference(std::string_view chunk, std::vector<std::int32_t>& out) const;

 private:
  struct Tables;  // merge ranks and the encode cache
  std::int32_t rank_of(std::int32_t left, std::int32_t right) const;
  void encode_chunk_heap(std::string_view chunk, std::vector<std::int32_t>& out) const;
  template <class ForEachChunk>
  std::vector<std::int64_t> encode_cached(std::size_t bytes, ForEachChunk&& for_each_chunk) const;

  std::vector<std::string> reserved_;
  std::vector<BPEMerge> merges_;
  std::vector<std::string> tokens_;  // id -> bytes (reserved: their names)
  StringMap<std::int64_t> token_ids_;
  std::unique_ptr<Tables> tables_;
};

}  // namespace wengert::text
