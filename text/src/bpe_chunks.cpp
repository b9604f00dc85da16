// The BPE pre-tokenizer as a list of chunks (the loop itself is detail/bpe_chunker.hpp).
#include <wengert/text/bpe_tokenizer.hpp>

#include "detail/bpe_chunker.hpp"

namespace wengert::text {

std::vector<std::string_view> split_bpe_chunks(std::string_view text) {
  std::vector<std::string_view> chunks;
  detail::for_each_bpe_chunk(text, [&](std::string_view chunk) { chunks.push_back(chunk); });
  return chunks;
}

}  // namespace wengert::text
