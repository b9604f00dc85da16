// The BPE pre-tokenizer loop (rules documented at split_bpe_chunks), as a template that hands
// each chunk to a callback, so encoding and training never materialize a vector of chunks.
#pragma once

#include <array>
#include <string_view>
#include <wengert/text/bpe_tokenizer.hpp>

namespace wengert::text::detail {

enum ByteClass : unsigned char { byte_space, byte_letter, byte_digit, byte_other };

constexpr std::array<unsigned char, 256> make_byte_classes() {
  std::array<unsigned char, 256> classes{};
  for (int b = 0; b < 256; ++b) {
    if (b == ' ' || (b >= '\t' && b <= '\r')) {
      classes[b] = byte_space;
    } else if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b >= 0x80) {
      classes[b] = byte_letter;
    } else if (b >= '0' && b <= '9') {
      classes[b] = byte_digit;
    } else {
      classes[b] = byte_other;
    }
  }
  return classes;
}

inline constexpr std::array<unsigned char, 256> byte_classes = make_byte_classes();

inline unsigned char class_of(char c) { return byte_classes[static_cast<unsigned char>(c)]; }

template <class OnChunk>
void for_each_bpe_chunk(std::string_view text, OnChunk&& on_chunk) {
  const std::size_t n = text.size();
  std::size_t pos = 0;
  while (pos < n) {
    const std::size_t start = pos;
    if (class_of(text[pos]) == byte_space) {
      if (text[pos] == ' ' && pos + 1 < n && class_of(text[pos + 1]) != byte_space) {
        ++pos;  // a single space that leads the next word
      } else {
        std::size_t end = pos + 1;
        while (end < n && class_of(text[end]) == byte_space && end - start < max_chunk_bytes) {
          ++end;
        }
        // Leave a final ' ' to lead the word that follows.
        if (end < n && class_of(text[end]) != byte_space && text[end - 1] == ' ') --end;
        on_chunk(text.substr(start, end - start));
        pos = end;
        continue;
      }
    }
    const unsigned char cls = class_of(text[pos]);
    std::size_t end = pos + 1;
    while (end < n && class_of(text[end]) == cls && end - start < max_chunk_bytes) ++end;
    on_chunk(text.substr(start, end - start));
    pos = end;
  }
}

}  // namespace wengert::text::detail
