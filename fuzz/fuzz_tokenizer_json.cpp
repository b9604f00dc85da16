// The tokenizer loaders on arbitrary bytes: load_tokenizer (char, word, bpe and gpt2 files, so
// also CharTokenizer/WordTokenizer/BPETokenizer::load) and Vocab::load. A tokenizer it accepts
// must encode and decode without throwing, round-trip where it promises to (bpe, gpt2, char with
// byte fallback; gpt2 also on the file's own tokens, see gpt2_alphabet.hpp), and save + load
// back to the same vocabulary and the same ids.
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/tokenizer.hpp>
#include <wengert/text/vocab.hpp>

#include "fuzz_support.hpp"
#include "gpt2_alphabet.hpp"

using namespace wengert;

namespace {

// ASCII, multi-byte UTF-8, an invalid byte and a lone continuation byte.
constexpr std::string_view sample =
    "The Time Traveller, caf\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80 \xFF\x80!\n";

bool promises_round_trip(const text::Tokenizer& t) {
  if (t.kind() == "bpe" || t.kind() == "gpt2") return true;
  const auto* chars = dynamic_cast<const text::CharTokenizer*>(&t);
  return chars != nullptr && chars->byte_fallback();
}

void exercise(const text::Tokenizer& t, std::string_view file) {
  const std::vector<std::int64_t> ids = t.encode(sample);
  for (const std::int64_t id : ids) fuzz::promise(id >= 0 && id < t.vocab_size(), "ids in range");
  const std::string decoded = t.decode(ids);
  if (promises_round_trip(t)) fuzz::promise(decoded == sample, "decode(encode(s)) == s");
  if (t.kind() == "gpt2") {  // the file's own tokens as text
    const std::string tokens = fuzz::gpt2_bytes_of(file);
    fuzz::promise(t.decode(t.encode(tokens)) == tokens, "gpt2: decode(encode(s)) == s");
  }

  const auto copy = fuzz::scratch_dir() / "copy.json";
  t.save(copy);
  const auto again = text::load_tokenizer(copy);
  fuzz::promise(again->kind() == t.kind() && again->vocab_size() == t.vocab_size(),
                "save + load keeps the kind and the vocabulary size");
  fuzz::promise(again->encode(sample) == ids, "save + load keeps the ids");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::write_input("tokenizer.json", fuzz::as_text(data, size));
  std::unique_ptr<text::Tokenizer> tokenizer;
  if (fuzz::accepted([&] { tokenizer = text::load_tokenizer(path); }))
    exercise(*tokenizer, fuzz::as_text(data, size));
  fuzz::accepted([&] { (void)text::Vocab::load(path); });
  return 0;
}
