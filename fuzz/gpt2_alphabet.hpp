// For the fuzz targets of GPT-2's tokenizer: a tokenizer file spells its tokens in GPT-2's
// byte-to-unicode alphabet ("Ġt" is " t"), so reading the file's own text back in that alphabet
// gives a text made of the very tokens the file defines, the text most likely to expose a
// vocabulary that encodes to the wrong ids.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <wengert/text/gpt2_tokenizer.hpp>
#include <wengert/text/utf8.hpp>

namespace wengert::fuzz {

// `text` with every code point of GPT-2's alphabet replaced by the byte it stands for (other
// code points, and invalid UTF-8, are kept as they are).
inline std::string gpt2_bytes_of(std::string_view text) {
  static const std::map<std::string, char, std::less<>> byte_of = [] {
    std::map<std::string, char, std::less<>> m;
    for (int b = 0; b < 256; ++b)
      m.emplace(text::gpt2_byte_to_unicode(static_cast<unsigned char>(b)), static_cast<char>(b));
    return m;
  }();
  std::string out;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = text::decode_utf8(text, pos).length;
    const auto it = byte_of.find(text.substr(pos, length));
    if (it != byte_of.end()) {
      out.push_back(it->second);
    } else {
      out.append(text.substr(pos, length));
    }
    pos += length;
  }
  return out;
}

}  // namespace wengert::fuzz
