// Corpus loading, UTF-8 handling and the d2l reference values of data/README.md.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <wengert/tensor/error.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/corpus.hpp>
#include <wengert/text/utf8.hpp>
#include <wengert/text/word_tokenizer.hpp>

#include "text_test_util.hpp"

using namespace wengert::text;
using wengert::testing::data_path;

TEST_CASE("utf8: decodes valid sequences and reports maximal subparts", "[text][utf8]") {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  CHECK(to_code_points(s) == std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F600});
  CHECK_FALSE(find_invalid_utf8(s).has_value());
  std::string round;
  for (char32_t cp : to_code_points(s)) append_utf8(round, cp);
  CHECK(round == s);

  // Overlong, surrogate, out of range, truncated, stray continuation.
  CHECK(find_invalid_utf8("ab\xC0\xAF") == 2u);
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0u);
  CHECK(find_invalid_utf8("x\xF4\x90\x80\x80") == 1u);
  CHECK(find_invalid_utf8("xy\xE2\x82") == 2u);
  CHECK(find_invalid_utf8("\x80") == 0u);
  // A truncated 3-byte sequence is one U+FFFD (as Python's errors="replace").
  CHECK(replace_invalid_utf8("a\xE2\x82z") == "a\xEF\xBF\xBDz");
  CHECK(replace_invalid_utf8("\xFF\xFE") == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("corpus: invalid UTF-8 is an error naming the byte offset, or replaced", "[text]") {
  const wengert::testing::ScratchDir scratch("corpus");
  const auto& dir = scratch.path;
  const auto path = dir / "bad.txt";
  std::ofstream(path, std::ios::binary) << "hello \xFF world";
  try {
    load_corpus(path);
    FAIL("no error");
  } catch (const wengert::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("byte offset 6") && Catch::Contains("bad.txt"));
  }
  CHECK(load_corpus(path, {InvalidUtf8::replace, Normalizer::none}) == "hello \xEF\xBF\xBD world");
  CHECK_THROWS_WITH(load_corpus(dir / "missing.txt"), Catch::Contains("cannot open"));
}

TEST_CASE("corpus: normalizers", "[text]") {
  CHECK(letters_only("The Time-Machine, by H. G. Wells [1898]\n") ==
        "the time machine by h g wells ");
  CHECK(letters_only("caf\xC3\xA9!") == "caf ");
  CHECK(to_lowercase("ABC \xC3\x89t\xC3\xA9 \xCE\xA9") == "abc \xC3\xA9t\xC3\xA9 \xCF\x89");
  CHECK(normalize("AbC", Normalizer::none) == "AbC");
}

TEST_CASE("corpus: The Time Machine matches the d2l reference values", "[text][d2l]") {
  const std::string raw = load_corpus(data_path("timemachine.txt"));
  CHECK(raw.size() == 178979u);
  const std::string text =
      load_corpus(data_path("timemachine.txt"), {.normalizer = Normalizer::letters_only});
  REQUIRE(text.size() == 173428u);
  CHECK(text.starts_with("the time machine by h g wells i the time traveller for so it"));
  CHECK(text.ends_with(" lived on in the heart of man "));
  CHECK(std::set<char>(text.begin(), text.end()).size() == 27u);

  // Char vocabulary with only <unk> reserved: 28 entries, ordered by frequency.
  const CharTokenizer chars = CharTokenizer::train(text, {.vocab = {.reserved = {}}});
  CHECK(chars.vocab_size() == 28);
  const Vocab& v = chars.vocab();
  CHECK(v.token(0) == "<unk>");
  const std::vector<std::pair<std::string, std::int64_t>> top = {
      {" ", 32775}, {"e", 17838}, {"t", 13515}, {"a", 11704}, {"i", 10138}};
  for (std::size_t i = 0; i < top.size(); ++i) {
    CHECK(v.token(static_cast<std::int64_t>(i) + 1) == top[i].first);
    CHECK(v.frequency(static_cast<std::int64_t>(i) + 1) == top[i].second);
  }
  CHECK(chars.encode(text).size() == 173428u);

  // Words: 32,775 tokens, 4,579 distinct (4,580 with <unk>).
  CHECK(split_words(text).size() == 32775u);
  const WordTokenizer words = WordTokenizer::train(text, {.vocab = {.reserved = {}}});
  CHECK(words.vocab_size() == 4580);

  // d2l's exact cleaning, per line and joined with no separator. Reference values from Python:
  //   s = ''.join(re.sub('[^A-Za-z]+', ' ', l).strip().lower()
  //               for l in open('data/timemachine.txt').readlines())
  //   len(s) == 170580, len(set(s)) == 27, s.count(' ') == 29927
  const std::string d2l =
      load_corpus(data_path("timemachine.txt"), {.normalizer = Normalizer::d2l});
  CHECK(d2l.size() == 170580u);
  CHECK(d2l.starts_with("the time machine by h g wellsithe time traveller for so it will"));
  CHECK(d2l.ends_with("still lived on in the heartof man"));
  CHECK(std::count(d2l.begin(), d2l.end(), ' ') == 29927);
  // With <unk> as the only reserved token: d2l's vocabulary of 28.
  const CharTokenizer d2l_chars =
      CharTokenizer::train(d2l, {.vocab = reserved_vocab_options(ReservedTokens::unk)});
  CHECK(d2l_chars.vocab_size() == 28);
  CHECK(d2l_chars.encode(d2l).size() == 170580u);
}

TEST_CASE("corpus: d2l cleaning splits lines like Python's universal newlines", "[text]") {
  // Python: io.StringIO(t, newline=None).readlines() gives the same lines as open().
  CHECK(d2l_clean("Ab, c\nd-E\r\n\r\nf\rG!\n") == "ab cd efg");
  CHECK(d2l_clean("  x  ") == "x");
  CHECK(d2l_clean("\n\n") == "");
  CHECK(d2l_clean("") == "");
  CHECK(normalize("One\nTwo", Normalizer::d2l) == "onetwo");
  CHECK(normalize("One\nTwo", Normalizer::letters_only) == "one two");
}

TEST_CASE("corpus: Tiny Shakespeare has 65 distinct chars", "[text][d2l]") {
  const std::string raw = load_corpus(data_path("tinyshakespeare.txt"));
  CHECK(raw.size() == 1115394u);
  CHECK(std::set<char>(raw.begin(), raw.end()).size() == 65u);
  const std::string cleaned = letters_only(raw);
  CHECK(cleaned.size() == 1059581u);
  CHECK(std::set<char>(cleaned.begin(), cleaned.end()).size() == 27u);
}
