// CharTokenizer: code-point counting for training, table lookups for encoding (an array for
// ASCII, a hash map beyond), and byte-token fallback for characters outside the vocabulary.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <wengert/tensor/error.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/utf8.hpp>

#include "detail/json_io.hpp"
#include "detail/load_kind.hpp"

namespace wengert::text {

std::string byte_token_name(unsigned char byte) {
  char name[8];
  std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned>(byte));
  return name;
}

CharTokenizer::CharTokenizer(Vocab vocab, bool byte_fallback)
    : vocab_(std::move(vocab)), byte_fallback_(byte_fallback) {
  ascii_ids_.fill(-1);
  byte_ids_.fill(-1);
  byte_of_id_.assign(static_cast<std::size_t>(vocab_.size()), -1);
  if (byte_fallback_) {
    for (int b = 0; b < 256; ++b) {
      const auto id = vocab_.find(byte_token_name(static_cast<unsigned char>(b)));
      check(id.has_value(), "CharTokenizer: byte_fallback is set but the vocabulary lacks ",
            byte_token_name(static_cast<unsigned char>(b)));
      byte_ids_[b] = *id;
      byte_of_id_[static_cast<std::size_t>(*id)] = static_cast<std::int16_t>(b);
    }
  }
  for (std::int64_t id = vocab_.num_reserved(); id < vocab_.size(); ++id) {
    const std::string& token = vocab_.token(id);
    if (byte_of_id_[static_cast<std::size_t>(id)] >= 0) continue;
    const Utf8Step step = decode_utf8(token, 0);
    check(step.valid && step.length == token.size(), "CharTokenizer: vocabulary token '", token,
          "' (id ", id, ") is not a single character");
    if (step.code_point < 128) {
      ascii_ids_[step.code_point] = id;
    } else {
      ids_.emplace(step.code_point, id);
    }
  }
}

CharTokenizer CharTokenizer::train(std::string_view corpus, const CharTokenizerOptions& options) {
  check(!corpus.empty(), "CharTokenizer::train: the corpus is empty");
  std::array<std::int64_t, 128> ascii_counts{};
  std::unordered_map<char32_t, std::int64_t> other_counts;
  for (std::size_t pos = 0; pos < corpus.size();) {
    if (static_cast<unsigned char>(corpus[pos]) < 0x80) {
      ++ascii_counts[static_cast<unsigned char>(corpus[pos++])];
      continue;
    }
    const Utf8Step step = decode_utf8(corpus, pos);
    ++other_counts[step.code_point];
    pos += step.length;
  }
  TokenCounts counts;
  for (int c = 0; c < 128; ++c) {
    if (ascii_counts[c] > 0) counts[std::string(1, static_cast<char>(c))] = ascii_counts[c];
  }
  for (const auto& [cp, n] : other_counts) {
    std::string token;
    append_utf8(token, cp);
    counts[token] = n;
  }
  VocabOptions vocab_options = options.vocab;
  if (options.byte_fallback) {
    for (int b = 0; b < 256; ++b) {
      vocab_options.reserved.push_back(byte_token_name(static_cast<unsigned char>(b)));
    }
  }
  return CharTokenizer(Vocab::from_counts(counts, vocab_options), options.byte_fallback);
}

void CharTokenizer::encode_unknown(std::string_view bytes, std::vector<std::int64_t>& out) const {
  if (byte_fallback_) {
    for (const char b : bytes) out.push_back(byte_ids_[static_cast<unsigned char>(b)]);
    return;
  }
  check(vocab_.unk_id().has_value(), "CharTokenizer::encode: character '",
        replace_invalid_utf8(bytes), "' is not in the vocabulary and there is no unknown token");
  out.push_back(*vocab_.unk_id());
}

std::vector<std::int64_t> CharTokenizer::encode(std::string_view text) const {
  std::vector<std::int64_t> out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) {
      if (ascii_ids_[lead] >= 0) {
        out.push_back(ascii_ids_[lead]);
      } else {
        encode_unknown(text.substr(pos, 1), out);
      }
      ++pos;
      continue;
    }
    const Utf8Step step = decode_utf8(text, pos);
    const auto it = ids_.find(step.code_point);
    // An invalid sequence reads as U+FFFD, except with byte fallback, which keeps its bytes.
    if (it != ids_.end() && (step.valid || !byte_fallback_)) {
      out.push_back(it->second);
    } else {
      encode_unknown(text.substr(pos, step.length), out);
    }
    pos += step.length;
  }
  return out;
}

std::string CharTokenizer::decode(std::span<const std::int64_t> ids) const {
  std::string out;
  out.reserve(ids.size());
  for (const std::int64_t id : ids) {
    check(id >= 0 && id < vocab_.size(), "CharTokenizer::decode: id ", id, " is out of range [0, ",
          vocab_.size(), ")");
    const std::int16_t byte = byte_of_id_[static_cast<std::size_t>(id)];
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
    } else {
      out += vocab_.token(id);
    }
  }
  return out;
}

void CharTokenizer::to_json(nlohmann::json& out) const {
  out["vocab"] = detail::vocab_to_json(vocab_);
  out["byte_fallback"] = byte_fallback_;
}

CharTokenizer CharTokenizer::from_json(const nlohmann::json& in, std::string_view where) {
  Vocab vocab = detail::vocab_from_json(
      detail::field(in, "vocab", nlohmann::json::value_t::object, where), where);
  try {
    return CharTokenizer(std::move(vocab), detail::bool_field(in, "byte_fallback", where));
  } catch (const Error& e) {
    fail(where, ": corrupt file: ", e.what());
  }
}

CharTokenizer CharTokenizer::load(const std::filesystem::path& path) {
  return detail::load_kind<CharTokenizer>(path, "CharTokenizer::load");
}

}  // namespace wengert::text
