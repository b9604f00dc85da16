// UTF-8 decoding and encoding: the one place that knows the byte layout of code points.
// Decoding is strict (no overlong forms, no surrogates, nothing above U+10FFFF). An invalid
// sequence is reported as its "maximal subpart" (the bytes that began a valid prefix, at least
// one), which is what Python and the WHATWG decoder replace by one U+FFFD.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wengert::text {

inline constexpr char32_t replacement_character = 0xFFFD;

struct Utf8Step {
  char32_t code_point;  // U+FFFD when !valid
  std::size_t length;   // bytes consumed, >= 1
  bool valid;
};

// Decodes the code point that starts at text[pos] (pos < text.size()).
Utf8Step decode_utf8(std::string_view text, std::size_t pos);

// Appends the UTF-8 encoding of `code_point` (which must be a valid scalar value).
void append_utf8(std::string& out, char32_t code_point);

// Byte offset of the first invalid sequence, or nullopt when `text` is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

// `text` with every invalid sequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view text);

// The code points of `text`; invalid sequences become U+FFFD.
std::vector<char32_t> to_code_points(std::string_view text);

}  // namespace wengert::text
