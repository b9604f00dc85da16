// GPT2Tokenizer: GPT-2's pre-tokenization scanner, its byte-to-unicode alphabet, and loading
// encoder.json + vocab.bpe or a Hugging Face tokenizer.json into BPETokenizer's merge kernel.
#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <wengert/tensor/error.hpp>
#include <wengert/text/corpus.hpp>
#include <wengert/text/gpt2_tokenizer.hpp>
#include <wengert/text/utf8.hpp>

#include "detail/json_io.hpp"
#include "detail/load_kind.hpp"
#include "detail/unicode_tables.hpp"

namespace wengert::text {

namespace fs = std::filesystem;

namespace {

enum class Symbol { letter, number, space, other };

template <std::size_t N>
bool in_ranges(const std::array<detail::CodePointRange, N>& ranges, char32_t cp) {
  const auto it =
      std::upper_bound(ranges.begin(), ranges.end(), cp,
                       [](char32_t c, const detail::CodePointRange& r) { return c < r.first; });
  return it != ranges.begin() && cp <= std::prev(it)->last;
}

// JavaScript's \s: WhiteSpace and LineTerminator of ECMA-262.
bool is_js_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

Symbol classify(char32_t cp) {
  if (is_js_space(cp)) return Symbol::space;
  if (in_ranges(detail::letter_ranges, cp)) return Symbol::letter;
  if (in_ranges(detail::number_ranges, cp)) return Symbol::number;
  return Symbol::other;
}

constexpr std::array<Symbol, 128> make_ascii_symbols() {
  std::array<Symbol, 128> s{};
  for (int c = 0; c < 128; ++c) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool space = (c >= 0x09 && c <= 0x0D) || c == ' ';
    s[c] = letter                   ? Symbol::letter
           : (c >= '0' && c <= '9') ? Symbol::number
           : space                  ? Symbol::space
                                    : Symbol::other;
  }
  return s;
}
constexpr std::array<Symbol, 128> ascii_symbols = make_ascii_symbols();

struct Char {
  Symbol symbol;
  std::size_t length;
};

// The symbol class and byte length of the character at `pos`; invalid UTF-8 is `other`.
Char char_at(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return {ascii_symbols[lead], 1};
  const Utf8Step step = decode_utf8(text, pos);
  return {step.valid ? classify(step.code_point) : Symbol::other, step.length};
}

constexpr std::array<std::string_view, 7> contractions = {"s", "t", "re", "ve", "m", "ll", "d"};

// bytes_to_unicode() of encoder.py: bytes 33..126, 161..172 and 174..255 keep their code
// point; the others, in byte order, become 256, 257, ...
std::array<char32_t, 256> make_byte_to_code_point() {
  std::array<char32_t, 256> table{};
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    table[b] = printable ? static_cast<char32_t>(b) : next++;
  }
  return table;
}
const std::array<char32_t, 256> byte_to_code_point = make_byte_to_code_point();

// A token in the byte-to-unicode alphabet back to its bytes; nullopt when a character is not
// in the alphabet (then the token stands for its own UTF-8, like "<|endoftext|>" would).
std::optional<std::string> alphabet_to_bytes(std::string_view token) {
  static const auto code_point_to_byte = [] {
    std::array<std::int16_t, 512> table;
    table.fill(-1);
    for (int b = 0; b < 256; ++b) table[byte_to_code_point[b]] = static_cast<std::int16_t>(b);
    return table;
  }();
  std::string bytes;
  for (std::size_t pos = 0; pos < token.size();) {
    const Utf8Step step = decode_utf8(token, pos);
    if (!step.valid || step.code_point >= 512 || code_point_to_byte[step.code_point] < 0)
      return std::nullopt;
    bytes.push_back(static_cast<char>(code_point_to_byte[step.code_point]));
    pos += step.length;
  }
  return bytes;
}

std::pair<std::string, std::string> split_merge(std::string_view line, std::size_t rank,
                                                std::string_view where) {
  const auto space = line.find(' ');
  check(space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
            line.find(' ', space + 1) == std::string_view::npos,
        where, ": merge ", rank, " '", line, "' is not two tokens separated by one space");
  return {std::string(line.substr(0, space)), std::string(line.substr(space + 1))};
}

StringMap<std::int64_t> vocab_from_json(const nlohmann::json& vocab, std::string_view where) {
  check(vocab.is_object(), where, ": the vocabulary is not a JSON object");
  StringMap<std::int64_t> out;
  for (const auto& [token, id] : vocab.items())
    out.emplace(token, detail::as_int(id, "an id", where));
  return out;
}

std::vector<std::pair<std::string, std::string>> merges_from_json(const nlohmann::json& merges,
                                                                  std::string_view where) {
  check(merges.is_array(), where, ": the merges are not a JSON array");
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (const auto& m : merges) {
    if (m.is_string()) {
      out.push_back(split_merge(m.get<std::string>(), out.size(), where));
    } else {
      check(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string(), where,
            ": merge ", out.size(), " is neither \"a b\" nor [\"a\", \"b\"]");
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    }
  }
  return out;
}

}  // namespace

std::string gpt2_byte_to_unicode(unsigned char byte) {
  std::string out;
  append_utf8(out, byte_to_code_point[byte]);
  return out;
}

std::vector<std::string_view> split_gpt2_chunks(std::string_view text) {
  std::vector<std::string_view> chunks;
  const std::size_t n = text.size();
  for (std::size_t pos = 0; pos < n;) {
    const std::size_t start = pos;
    if (text[pos] == '\'') {  // 's 't 're 've 'm 'll 'd
      const auto it = std::find_if(contractions.begin(), contractions.end(),
                                   [&](auto c) { return text.substr(pos + 1).starts_with(c); });
      if (it != contractions.end()) {
        chunks.push_back(text.substr(pos, 1 + it->size()));
        pos += 1 + it->size();
        continue;
      }
    }
    // ' ?\p{L}+', ' ?\p{N}+' and ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
    const std::size_t first = text[pos] == ' ' && pos + 1 < n ? pos + 1 : pos;
    const Char c = char_at(text, first);
    if (c.symbol != Symbol::space) {
      std::size_t end = first + c.length;
      for (Char d; end < n && (d = char_at(text, end)).symbol == c.symbol;) end += d.length;
      chunks.push_back(text.substr(start, end - start));
      pos = end;
      continue;
    }
    // '\s+(?!\S)|\s+': a whitespace run, less its last character when a non-space follows
    // (that character then leads the next chunk), unless the run is that one character.
    std::size_t end = pos, last = pos;
    for (Char d; end < n && (d = char_at(text, end)).symbol == Symbol::space;) {
      last = end;
      end += d.length;
    }
    if (end < n && last > pos) end = last;
    chunks.push_back(text.substr(start, end - start));
    pos = end;
  }
  return chunks;
}

GPT2Tokenizer::GPT2Tokenizer(StringMap<std::int64_t> vocab,
                             std::vector<std::pair<std::string, std::string>> merges,
                             std::string_view where)
    : vocab_(std::move(vocab)), merges_(std::move(merges)), bpe_({}, {}) {
  const auto bytes_of = [&](std::string_view token) {
    return alphabet_to_bytes(token).value_or(std::string(token));
  };
  StringMap<std::int32_t> bpe_id;  // bytes -> BPETokenizer id: bytes 0..255, merge r 256 + r
  for (int b = 0; b < 256; ++b) bpe_id.emplace(std::string(1, static_cast<char>(b)), b);
  std::vector<BPEMerge> bpe_merges;
  bpe_merges.reserve(merges_.size());
  for (std::size_t rank = 0; rank < merges_.size(); ++rank) {
    const auto& [a, b] = merges_[rank];
    const auto left = bpe_id.find(bytes_of(a)), right = bpe_id.find(bytes_of(b));
    check(left != bpe_id.end() && right != bpe_id.end(), where, ": merge ", rank, " '", a, " ", b,
          "' uses a token that no earlier merge made");
    const bool made =
        bpe_id.emplace(left->first + right->first, static_cast<std::int32_t>(256 + rank)).second;
    check(made, where, ": merge ", rank, " '", a, " ", b, "' makes a token an earlier merge made");
    bpe_merges.push_back({left->second, right->second});
  }
  bpe_ = BPETokenizer(std::move(bpe_merges), {});

  // Ids may leave holes (decoded as errors), but no more holes than tokens: the id range, and
  // so the table below, stays within twice the vocabulary (a 2 KB file cannot ask for 2^31).
  const auto tokens = static_cast<std::int64_t>(vocab_.size());
  std::int64_t size = 0;
  for (const auto& [token, id] : vocab_) {
    check(id >= 0 && id < 2 * tokens, where, ": token '", token, "' has id ", id, " outside [0, ",
          2 * tokens, ") (ids may leave holes, but no more holes than the ", tokens, " tokens)");
    size = std::max(size, id + 1);
  }
  bytes_of_id_.assign(static_cast<std::size_t>(size), std::string());
  for (const auto& [token, id] : vocab_) {
    std::string bytes = bytes_of(token);
    check(!bytes.empty(), where, ": the vocabulary holds an empty token (id ", id, ")");
    check(bytes_of_id_[static_cast<std::size_t>(id)].empty(), where, ": token '", token,
          "' has id ", id, ", as another token has (encoding one would decode to the other)");
    check(id_of_bytes_.emplace(bytes, id).second, where, ": tokens '", token,
          "' and another one stand for the same bytes");
    bytes_of_id_[static_cast<std::size_t>(id)] = std::move(bytes);
  }
  id_of_bpe_.resize(static_cast<std::size_t>(bpe_.vocab_size()));
  for (std::int64_t k = 0; k < bpe_.vocab_size(); ++k) {
    const std::string bytes = bpe_.id_to_token(k);
    const auto it = id_of_bytes_.find(bytes);
    check(it != id_of_bytes_.end(), where, ": the token ",
          k < 256 ? "of byte " + std::to_string(k) : "made by merge " + std::to_string(k - 256),
          " is not in the vocabulary");
    id_of_bpe_[static_cast<std::size_t>(k)] = it->second;
  }
}

std::vector<std::int64_t> GPT2Tokenizer::encode(std::string_view text) const {
  const std::vector<std::string_view> chunks = split_gpt2_chunks(text);
  std::vector<std::int64_t> ids = bpe_.encode_chunks(chunks);
  for (std::int64_t& id : ids) id = id_of_bpe_[static_cast<std::size_t>(id)];
  return ids;
}

std::string GPT2Tokenizer::decode(std::span<const std::int64_t> ids) const {
  std::string out;
  out.reserve(ids.size() * 4);
  for (const std::int64_t id : ids) out += id_to_token(id);
  return out;
}

std::string GPT2Tokenizer::id_to_token(std::int64_t id) const {
  check(id >= 0 && id < vocab_size() && !bytes_of_id_[static_cast<std::size_t>(id)].empty(),
        "GPT2Tokenizer: id ", id, " is not in the vocabulary (size ", vocab_size(), ")");
  return bytes_of_id_[static_cast<std::size_t>(id)];
}

std::optional<std::int64_t> GPT2Tokenizer::token_to_id(std::string_view token) const {
  const auto it = id_of_bytes_.find(token);
  if (it == id_of_bytes_.end()) return std::nullopt;
  return it->second;
}

void GPT2Tokenizer::to_json(nlohmann::json& out) const {
  nlohmann::json vocab = nlohmann::json::object(), merges = nlohmann::json::array();
  for (const auto& [token, id] : vocab_) vocab[token] = id;
  for (const auto& [a, b] : merges_) merges.push_back(a + " " + b);
  out["vocab"] = std::move(vocab);
  out["merges"] = std::move(merges);
}

GPT2Tokenizer GPT2Tokenizer::from_json(const nlohmann::json& in, std::string_view where) {
  using value_t = nlohmann::json::value_t;
  return GPT2Tokenizer(vocab_from_json(detail::field(in, "vocab", value_t::object, where), where),
                       merges_from_json(detail::field(in, "merges", value_t::array, where), where),
                       where);
}

GPT2Tokenizer GPT2Tokenizer::load_gpt2_files(const fs::path& dir) {
  const std::string where = "GPT2Tokenizer::load_gpt2_files: '" + dir.string() + "'";
  const nlohmann::json encoder =
      detail::read_json_file(dir / "encoder.json", "GPT2Tokenizer::load_gpt2_files");
  const std::string bpe = read_file_bytes(dir / "vocab.bpe", "GPT2Tokenizer::load_gpt2_files");
  std::vector<std::pair<std::string, std::string>> merges;
  std::size_t pos = 0;
  if (bpe.starts_with("#version")) pos = std::min(bpe.size(), bpe.find('\n') + 1);
  while (pos < bpe.size()) {
    std::size_t end = bpe.find('\n', pos);
    if (end == std::string::npos) end = bpe.size();
    std::string_view line(bpe.data() + pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!line.empty()) merges.push_back(split_merge(line, merges.size(), where + "/vocab.bpe"));
    pos = end + 1;
  }
  return GPT2Tokenizer(vocab_from_json(encoder, where + "/encoder.json"), std::move(merges), where);
}

GPT2Tokenizer GPT2Tokenizer::load_hf_tokenizer_json(const fs::path& path) {
  const std::string where = "GPT2Tokenizer::load_hf_tokenizer_json: '" + path.string() + "'";
  const nlohmann::json in = detail::read_json_file(path, "GPT2Tokenizer::load_hf_tokenizer_json");
  using value_t = nlohmann::json::value_t;
  const nlohmann::json& model = detail::field(in, "model", value_t::object, where);
  check(model.value("type", std::string("BPE")) == "BPE", where, ": model type '",
        model.value("type", std::string()), "' is not BPE");
  return GPT2Tokenizer(
      vocab_from_json(detail::field(model, "vocab", value_t::object, where), where),
      merges_from_json(detail::field(model, "merges", value_t::array, where), where), where);
}

GPT2Tokenizer GPT2Tokenizer::load(const fs::path& path) {
  if (fs::is_directory(path)) {
    if (fs::exists(path / "encoder.json")) return load_gpt2_files(path);
    check(fs::exists(path / "tokenizer.json"), "GPT2Tokenizer::load: '", path.string(),
          "' holds neither encoder.json + vocab.bpe nor tokenizer.json");
    return load_hf_tokenizer_json(path / "tokenizer.json");
  }
  check(fs::exists(path), "GPT2Tokenizer::load: '", path.string(), "': no such file or folder");
  return load_hf_tokenizer_json(path);
}

}  // namespace wengert::text
