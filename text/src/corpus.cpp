// Reading corpora from disk and the normalizers (lowercase, letters only, d2l's line cleaning).
#include <fstream>
#include <iterator>
#include <wengert/tensor/error.hpp>
#include <wengert/text/corpus.hpp>
#include <wengert/text/utf8.hpp>

namespace wengert::text {

namespace {

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Simple (one-to-one) lowercase mapping for the capitals of the scripts most corpora use.
char32_t lower_code_point(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;     // Latin-1: À..Þ except ×
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;  // Greek: Α..Ω
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;                 // Cyrillic: А..Я
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;                 // Cyrillic: Ѐ..Џ
  return cp;
}

}  // namespace

std::string read_file_bytes(const std::filesystem::path& path, std::string_view op) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), op, ": cannot open '", path.string(), "' for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  check(!in.bad(), op, ": read error on '", path.string(), "'");
  return bytes;
}

std::string load_corpus(const std::filesystem::path& path, const CorpusOptions& options) {
  std::string bytes = read_file_bytes(path, "load_corpus");
  if (const auto bad = find_invalid_utf8(bytes)) {
    check(options.invalid_utf8 == InvalidUtf8::replace, "load_corpus: '", path.string(),
          "': invalid UTF-8 at byte offset ", *bad);
    bytes = replace_invalid_utf8(bytes);
  }
  return normalize(bytes, options.normalizer);
}

std::string normalize(std::string_view text, Normalizer normalizer) {
  switch (normalizer) {
    case Normalizer::lowercase:
      return to_lowercase(text);
    case Normalizer::letters_only:
      return letters_only(text);
    case Normalizer::d2l:
      return d2l_clean(text);
    case Normalizer::none:
      break;
  }
  return std::string(text);
}

std::string to_lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      out.push_back(ascii_lower(text[pos++]));
      continue;
    }
    const Utf8Step step = decode_utf8(text, pos);
    if (step.valid) {
      append_utf8(out, lower_code_point(step.code_point));
    } else {
      out.append(text.substr(pos, step.length));
    }
    pos += step.length;
  }
  return out;
}

// Byte-wise is exact here: every byte of a multi-byte code point is a non-letter, and a run of
// them collapses into the same single space as Python's per-code-point regex would give.
std::string letters_only(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_gap = false;
  for (const char c : text) {
    if (is_ascii_letter(c)) {
      out.push_back(ascii_lower(c));
      in_gap = false;
    } else if (!in_gap) {
      out.push_back(' ');
      in_gap = true;
    }
  }
  return out;
}

std::string d2l_clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find_first_of("\r\n", begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = letters_only(text.substr(begin, end - begin));
    const auto first = line.find_first_not_of(' ');
    if (first != std::string::npos) {
      out.append(line, first, line.find_last_not_of(' ') - first + 1);
    }
    begin = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  return out;
}

}  // namespace wengert::text
