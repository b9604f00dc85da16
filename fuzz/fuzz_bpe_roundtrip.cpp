// BPE encode/decode on arbitrary text, against three tokenizers: one trained once on a slice of
// The Time Machine, one trained on the input itself, and GPT-2's (tests/text/fixtures/gpt2).
// Promises checked: decode(encode(s)) == s (byte-level BPE, and char with byte fallback); the
// heap merge kernel gives the reference kernel's ids on every chunk; the chunks of
// split_bpe_chunks and split_gpt2_chunks concatenate back to the text.
#include <optional>
#include <wengert/text/bpe_tokenizer.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/corpus.hpp>
#include <wengert/text/gpt2_tokenizer.hpp>

#include "fuzz_support.hpp"

using namespace wengert;

namespace {

struct Tokenizers {
  text::BPETokenizer bpe;
  text::CharTokenizer chars;
  text::GPT2Tokenizer gpt2;
};

const Tokenizers& tokenizers() {
  static const Tokenizers t = [] {
    const std::string source = WENGERT_SOURCE_DIR;
    const std::string corpus = text::load_corpus(source + "/data/timemachine.txt").substr(0, 20000);
    return Tokenizers{text::BPETokenizer::train(corpus, {.num_merges = 300}),
                      text::CharTokenizer::train(corpus.substr(0, 2000), {.byte_fallback = true}),
                      text::GPT2Tokenizer::load(source + "/tests/text/fixtures/gpt2")};
  }();
  return t;
}

std::string concatenated(const std::vector<std::string_view>& chunks) {
  std::string out;
  for (const std::string_view c : chunks) out += c;
  return out;
}

void check_bpe(const text::BPETokenizer& bpe, std::string_view s) {
  fuzz::promise(bpe.decode(bpe.encode(s)) == s, "bpe: decode(encode(s)) == s");
  const std::vector<std::string_view> chunks = text::split_bpe_chunks(s);
  fuzz::promise(concatenated(chunks) == s, "split_bpe_chunks concatenates back to the text");
  std::vector<std::int32_t> heap, reference;
  for (const std::string_view chunk : chunks) {
    heap.clear();
    reference.clear();
    bpe.encode_chunk(chunk, heap);
    bpe.encode_chunk_reference(chunk, reference);
    fuzz::promise(heap == reference, "bpe: heap kernel == reference kernel");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s = fuzz::as_text(data, size);
  const Tokenizers& t = tokenizers();
  check_bpe(t.bpe, s);
  std::optional<text::BPETokenizer> own;  // an empty text is refused
  if (fuzz::accepted([&] { own.emplace(text::BPETokenizer::train(s, {.num_merges = 40})); }))
    check_bpe(*own, s);
  fuzz::promise(t.chars.decode(t.chars.encode(s)) == s, "char + byte fallback round-trips");
  fuzz::promise(concatenated(text::split_gpt2_chunks(s)) == s,
                "split_gpt2_chunks concatenates back to the text");
  fuzz::promise(t.gpt2.decode(t.gpt2.encode(s)) == s, "gpt2: decode(encode(s)) == s");
  return 0;
}
