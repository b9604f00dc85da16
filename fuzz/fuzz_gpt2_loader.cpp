// GPT-2's tokenizer loaders on arbitrary bytes. The first byte picks the form: even, the rest is
// a Hugging Face tokenizer.json (GPT2Tokenizer::load of a file); odd, the rest is encoder.json,
// a NUL byte, then vocab.bpe (GPT2Tokenizer::load of a folder). A tokenizer it accepts is
// byte-level, so decode(encode(s)) == s must hold for every byte string s: a fixed sample, the
// input, and the input read in GPT-2's alphabet (the file's own tokens as text).
#include <algorithm>
#include <filesystem>
#include <wengert/text/gpt2_tokenizer.hpp>

#include "fuzz_support.hpp"
#include "gpt2_alphabet.hpp"

using namespace wengert;

namespace {

constexpr std::string_view sample =
    "Hello, world! It's 2024 \xC3\xA9\xF0\x9F\x98\x80  \t\n\xFF\x80";

void exercise(const text::GPT2Tokenizer& t, std::string_view input) {
  const std::string tokens = fuzz::gpt2_bytes_of(input);
  for (const std::string_view s : {sample, input, std::string_view(tokens)}) {
    const std::vector<std::int64_t> ids = t.encode(s);
    fuzz::promise(t.decode(ids) == s, "decode(encode(s)) == s");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  std::filesystem::path path;
  if (data[0] % 2 == 0) {
    path = fuzz::write_input("tokenizer.json", rest);
  } else {
    const std::size_t nul = std::min(rest.find('\0'), rest.size());
    path = fuzz::scratch_dir() / "gpt2";
    fuzz::write_input("gpt2/encoder.json", rest.substr(0, nul));
    fuzz::write_input("gpt2/vocab.bpe", rest.substr(std::min(nul + 1, rest.size())));
  }
  std::optional<text::GPT2Tokenizer> tokenizer;
  if (fuzz::accepted([&] { tokenizer.emplace(text::GPT2Tokenizer::load(path)); }))
    exercise(*tokenizer, rest);
  return 0;
}
