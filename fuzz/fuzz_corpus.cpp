// load_corpus on arbitrary bytes, with every normalizer and both invalid-UTF-8 policies.
// Promises checked: "error" refuses exactly the files "replace" changes; "replace" returns valid
// UTF-8; every normalizer keeps valid UTF-8 valid; letters_only and d2l leave only [a-z ] (d2l
// with no space at either end).
#include <wengert/text/corpus.hpp>
#include <wengert/text/utf8.hpp>

#include "fuzz_support.hpp"

using namespace wengert;

namespace {

bool only_lowercase_letters_and_spaces(std::string_view s) {
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || c == ' ')) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  const auto path = fuzz::write_input("corpus.txt", bytes);
  for (const auto normalizer : {text::Normalizer::none, text::Normalizer::lowercase,
                                text::Normalizer::letters_only, text::Normalizer::d2l}) {
    const std::string replaced = text::load_corpus(path, {text::InvalidUtf8::replace, normalizer});
    fuzz::promise(!text::find_invalid_utf8(replaced), "replace gives valid UTF-8");
    std::string strict;
    const bool valid = fuzz::accepted([&] {
      strict = text::load_corpus(path, {text::InvalidUtf8::error, normalizer});
    });
    fuzz::promise(valid == (text::replace_invalid_utf8(bytes) == bytes),
                  "error refuses exactly the files that hold invalid UTF-8");
    if (valid) fuzz::promise(strict == replaced, "both policies agree on valid UTF-8");
    if (normalizer == text::Normalizer::letters_only || normalizer == text::Normalizer::d2l)
      fuzz::promise(only_lowercase_letters_and_spaces(replaced), "only [a-z ] remain");
    if (normalizer == text::Normalizer::d2l)
      fuzz::promise(replaced.empty() || (replaced.front() != ' ' && replaced.back() != ' '),
                    "d2l strips its lines");
  }
  return 0;
}
