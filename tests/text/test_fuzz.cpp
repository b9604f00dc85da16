// Fuzz-style checks: random bytes into encode / decode / load never crash, errors are always
// wengert::Error, and the round-trip law holds for BPE and for char with byte fallback.
#include <catch2/catch.hpp>
#include <fstream>
#include <wengert/tensor/error.hpp>
#include <wengert/tensor/random.hpp>
#include <wengert/text/bpe_tokenizer.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/utf8.hpp>
#include <wengert/text/word_tokenizer.hpp>

#include "text_test_util.hpp"

using namespace wengert::text;

namespace {

std::string random_text(wengert::Generator& rng) {
  std::string s(rng.below(300), '\0');
  const int mode = static_cast<int>(rng.below(3));  // any byte / mostly ASCII / UTF-8 soup
  for (char& c : s) {
    if (mode == 0) {
      c = static_cast<char>(rng.below(256));
    } else if (mode == 1) {
      c = static_cast<char>(rng.below(8) == 0 ? rng.below(256) : 32 + rng.below(95));
    } else {
      static const char soup[] = "ab \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x80\xFF\n";
      c = soup[rng.below(sizeof soup - 1)];
    }
  }
  return s;
}

}  // namespace

TEST_CASE("fuzz: encode/decode of random bytes", "[text][fuzz]") {
  const std::string corpus = wengert::testing::time_machine().substr(0, 8000);
  const BPETokenizer bpe = BPETokenizer::train(corpus, {.num_merges = 120});
  const CharTokenizer chars = CharTokenizer::train(corpus, {.byte_fallback = true});
  const CharTokenizer plain = CharTokenizer::train(corpus);
  const WordTokenizer words = WordTokenizer::train(corpus);
  wengert::Generator rng(2024);
  for (int trial = 0; trial < 400; ++trial) {
    const std::string s = random_text(rng);
    const auto ids = bpe.encode(s);
    for (const std::int64_t id : ids) REQUIRE(id >= bpe.num_reserved());  // never <unk>
    REQUIRE(bpe.decode(ids) == s);
    REQUIRE(chars.decode(chars.encode(s)) == s);
    // Without fallback: one id per code point, invalid sequences read as U+FFFD.
    REQUIRE(plain.encode(s).size() == to_code_points(s).size());
    const std::string decoded_words = words.decode(words.encode(s));
    CHECK_FALSE(find_invalid_utf8(decoded_words).has_value());
    // Random ids: valid ones decode, out-of-range ones throw wengert::Error.
    std::vector<std::int64_t> random_ids(rng.below(20));
    for (auto& id : random_ids) id = static_cast<std::int64_t>(rng.below(700)) - 20;
    for (const Tokenizer* tok : std::initializer_list<const Tokenizer*>{&bpe, &chars, &words}) {
      const bool valid = std::all_of(random_ids.begin(), random_ids.end(), [&](std::int64_t id) {
        return id >= 0 && id < tok->vocab_size();
      });
      if (valid) {
        CHECK_NOTHROW(tok->decode(random_ids));
      } else {
        CHECK_THROWS_AS(tok->decode(random_ids), wengert::Error);
      }
    }
  }
}

TEST_CASE("fuzz: loading random and mutated files only ever throws wengert::Error",
          "[text][fuzz]") {
  const wengert::testing::ScratchDir scratch("fuzz");
  const auto& dir = scratch.path;
  const std::string corpus = wengert::testing::time_machine().substr(0, 3000);
  BPETokenizer::train(corpus, {.num_merges = 30}).save(dir / "bpe.json");
  CharTokenizer::train(corpus).save(dir / "char.json");
  WordTokenizer::train(corpus).save(dir / "word.json");
  wengert::Generator rng(77);
  const auto path = dir / "mutant.json";
  for (const char* name : {"bpe.json", "char.json", "word.json"}) {
    const std::string original = read_file_bytes(dir / name, "test");
    for (int trial = 0; trial < 80; ++trial) {
      std::string bytes = trial % 10 == 0 ? random_text(rng) : original;
      if (trial % 10 != 0) {
        const int edits = 1 + static_cast<int>(rng.below(3));
        for (int e = 0; e < edits; ++e) {
          const auto at = rng.below(bytes.size());
          const char pool[] = "0123456789-[]{}\",:x ";
          bytes[at] = pool[rng.below(sizeof pool - 1)];
        }
      }
      std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
      try {
        const auto tok = load_tokenizer(path);
        // Whatever loaded must still be usable.
        const std::string probe = "Time travel \xF0\x9F\x98\x80";
        const auto ids = tok->encode(probe);
        if (tok->kind() == "bpe") CHECK(tok->decode(ids) == probe);
      } catch (const wengert::Error&) {
        // expected for most mutants
      }
    }
  }
}
