// CharTokenizer (code points, byte fallback) and WordTokenizer (documented splitting rules).
#include <catch2/catch.hpp>
#include <wengert/tensor/error.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/word_tokenizer.hpp>

#include "text_test_util.hpp"

using namespace wengert::text;

TEST_CASE("char: one token per code point, not per byte", "[text][char]") {
  const std::string text = "na\xC3\xAFve caf\xC3\xA9 \xF0\x9F\x98\x80";  // naïve café 😀
  const CharTokenizer tok = CharTokenizer::train(text);
  const auto ids = tok.encode(text);
  CHECK(ids.size() == 12u);
  CHECK(tok.decode(ids) == text);
  CHECK(tok.token_to_id("\xC3\xAF").has_value());
  CHECK(tok.kind() == "char");
  // Unseen characters map to <unk>; decode spells it.
  const auto unk = tok.encode("z");
  CHECK(unk == std::vector<std::int64_t>{3});
  CHECK(tok.decode(unk) == "<unk>");
  CHECK_THROWS_WITH(
      tok.decode(std::vector<std::int64_t>{tok.vocab_size()}),
      Catch::Contains("CharTokenizer::decode: id") && Catch::Contains("out of range"));
  CHECK_THROWS_AS(tok.decode(std::vector<std::int64_t>{-1}), wengert::Error);
}

TEST_CASE("char: byte fallback round-trips unseen and invalid input", "[text][char]") {
  const CharTokenizer tok = CharTokenizer::train("hello", {.byte_fallback = true});
  CHECK(tok.vocab_size() == 4 + 256 + 4);
  for (const std::string& s : std::vector<std::string>{"hello", "HELLO \xE2\x82\xAC", "\xFF\xC3(",
                                                       std::string("\0x", 2)}) {
    CHECK(tok.decode(tok.encode(s)) == s);
  }
  CHECK(tok.encode("\xC3\xA9").size() == 2u);  // é unseen: two byte tokens
}

TEST_CASE("char: save/load through the factory", "[text][char]") {
  const wengert::testing::ScratchDir scratch("char");
  const auto& dir = scratch.path;
  const CharTokenizer tok = CharTokenizer::train("abracadabra \xC3\xA9", {.byte_fallback = true});
  tok.save(dir / "char.json");
  const auto loaded = load_tokenizer(dir / "char.json");
  CHECK(loaded->kind() == "char");
  CHECK(loaded->vocab_size() == tok.vocab_size());
  CHECK(loaded->encode("cab \xC3\xA9 zz") == tok.encode("cab \xC3\xA9 zz"));
  CHECK(CharTokenizer::load(dir / "char.json").vocab() == tok.vocab());
}

TEST_CASE("word: splitting rules", "[text][word]") {
  using V = std::vector<std::string_view>;
  CHECK(split_words("Hello, world!") == V{"Hello", ",", "world", "!"});
  CHECK(split_words("  don't stop\tthe well-known o'clock\n") ==
        V{"don't", "stop", "the", "well-known", "o'clock"});
  CHECK(split_words("'quoted' -- end-") == V{"'", "quoted", "'", "-", "-", "end", "-"});
  CHECK(split_words("3.14 x_1") == V{"3", ".", "14", "x_1"});
  CHECK(split_words("caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve\xE2\x80\x99s") ==
        V{"caf\xC3\xA9", "\xE2\x80\x94", "na\xC3\xAFve\xE2\x80\x99s"});
  CHECK(split_words("a\xC2\xA0"
                    "b") == V{"a", "b"});  // NBSP is whitespace
  CHECK(split_words("").empty());
}

TEST_CASE("word: encode/decode with <unk> and spacing normalized", "[text][word]") {
  const WordTokenizer tok = WordTokenizer::train("the cat sat on the mat. the end");
  CHECK(tok.kind() == "word");
  CHECK(tok.vocab().token(4) == "the");
  const auto ids = tok.encode("the  dog sat.");
  CHECK(ids[1] == 3);  // <unk>
  CHECK(tok.decode(ids) == "the <unk> sat .");
  CHECK(tok.decode(tok.encode("the cat\nsat")) == "the cat sat");
  CHECK_THROWS_WITH(tok.decode(std::vector<std::int64_t>{999}),
                    Catch::Contains("WordTokenizer::decode: id 999"));

  const wengert::testing::ScratchDir scratch("word");
  const auto& dir = scratch.path;
  tok.save(dir / "w.json");
  const auto loaded = load_tokenizer(dir / "w.json");
  CHECK(loaded->kind() == "word");
  CHECK(loaded->encode("the mat sat") == tok.encode("the mat sat"));
}

TEST_CASE("char/word: empty corpus is an error", "[text]") {
  CHECK_THROWS_WITH(CharTokenizer::train(""),
                    Catch::Contains("CharTokenizer::train: the corpus is empty"));
  CHECK_THROWS_WITH(WordTokenizer::train(""), Catch::Contains("empty"));
  CHECK_THROWS_WITH(WordTokenizer::train(" \n "), Catch::Contains("no words"));
}
