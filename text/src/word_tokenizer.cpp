// WordTokenizer: the word/punctuation splitting rules (documented in the header), counting
// for training, and vocabulary lookups.
#include <nlohmann/json.hpp>
#include <wengert/tensor/error.hpp>
#include <wengert/text/utf8.hpp>
#include <wengert/text/word_tokenizer.hpp>

#include "detail/json_io.hpp"
#include "detail/load_kind.hpp"

namespace wengert::text {

namespace {

enum class CharClass { space, word, joiner, punct };

CharClass classify(char32_t cp) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (c == ' ' || (c >= '\t' && c <= '\r')) return CharClass::space;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      return CharClass::word;
    }
    if (c == '\'' || c == '-') return CharClass::joiner;
    return CharClass::punct;
  }
  if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
      cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0x85) {
    return CharClass::space;
  }
  if (cp == 0x2019) return CharClass::joiner;
  if ((cp >= 0xA1 && cp <= 0xBF) || (cp >= 0x2010 && cp <= 0x206F) ||
      (cp >= 0x3001 && cp <= 0x303F) || cp < 0xA0) {
    return CharClass::punct;
  }
  return CharClass::word;
}

struct CodePoint {
  CharClass cls;
  std::size_t length;
};

CodePoint next_code_point(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return {classify(lead), 1};
  const Utf8Step step = decode_utf8(text, pos);
  return {classify(step.code_point), step.length};
}

}  // namespace

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const CodePoint first = next_code_point(text, pos);
    if (first.cls == CharClass::space) {
      pos += first.length;
      continue;
    }
    if (first.cls != CharClass::word) {  // punctuation, or a joiner not inside a word
      tokens.push_back(text.substr(pos, first.length));
      pos += first.length;
      continue;
    }
    std::size_t end = pos + first.length;
    while (end < text.size()) {
      const CodePoint next = next_code_point(text, end);
      if (next.cls == CharClass::word) {
        end += next.length;
      } else if (next.cls == CharClass::joiner && end + next.length < text.size() &&
                 next_code_point(text, end + next.length).cls == CharClass::word) {
        end += next.length;  // the joiner; the word character after it is taken next round
      } else {
        break;
      }
    }
    tokens.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return tokens;
}

WordTokenizer::WordTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}

WordTokenizer WordTokenizer::train(std::string_view corpus, const WordTokenizerOptions& options) {
  check(!corpus.empty(), "WordTokenizer::train: the corpus is empty");
  const std::string valid = find_invalid_utf8(corpus) ? replace_invalid_utf8(corpus) : "";
  const std::string_view text = valid.empty() ? corpus : std::string_view(valid);
  TokenCounts counts;
  for (const std::string_view word : split_words(text)) {
    auto it = counts.find(word);
    if (it == counts.end()) it = counts.emplace(std::string(word), 0).first;
    ++it->second;
  }
  check(!counts.empty(), "WordTokenizer::train: the corpus has no words (only whitespace)");
  return WordTokenizer(Vocab::from_counts(counts, options.vocab));
}

std::vector<std::int64_t> WordTokenizer::encode(std::string_view text) const {
  const std::string valid = find_invalid_utf8(text) ? replace_invalid_utf8(text) : "";
  const std::vector<std::string_view> words =
      split_words(valid.empty() ? text : std::string_view(valid));
  std::vector<std::int64_t> ids;
  ids.reserve(words.size());
  for (const std::string_view word : words) ids.push_back(vocab_.id(word));
  return ids;
}

std::string WordTokenizer::decode(std::span<const std::int64_t> ids) const {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    check(ids[i] >= 0 && ids[i] < vocab_.size(), "WordTokenizer::decode: id ", ids[i],
          " is out of range [0, ", vocab_.size(), ")");
    if (i > 0) out.push_back(' ');
    out += vocab_.token(ids[i]);
  }
  return out;
}

void WordTokenizer::to_json(nlohmann::json& out) const {
  out["vocab"] = detail::vocab_to_json(vocab_);
}

WordTokenizer WordTokenizer::from_json(const nlohmann::json& in, std::string_view where) {
  return WordTokenizer(detail::vocab_from_json(
      detail::field(in, "vocab", nlohmann::json::value_t::object, where), where));
}

WordTokenizer WordTokenizer::load(const std::filesystem::path& path) {
  return detail::load_kind<WordTokenizer>(path, "WordTokenizer::load");
}

}  // namespace wengert::text
