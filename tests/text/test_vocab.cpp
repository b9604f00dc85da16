// Vocab: ordering, min_freq, reserved and unknown tokens, save/load and corrupt files.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <wengert/tensor/error.hpp>
#include <wengert/text/vocab.hpp>

#include "text_test_util.hpp"

using namespace wengert::text;

TEST_CASE("vocab: reserved first, then by frequency, ties by byte order", "[text][vocab]") {
  const Vocab v = Vocab::from_tokens({"b", "a", "c", "a", "b", "d", "a"});
  REQUIRE(v.size() == 8);
  CHECK(v.tokens() ==
        std::vector<std::string>{"<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d"});
  CHECK(v.frequency(4) == 3);
  CHECK(v.frequency(0) == 0);
  CHECK(v.id("b") == 5);
  CHECK(v.id("zzz") == 3);
  CHECK(v.unk_id() == 3);
  CHECK_FALSE(v.find("zzz").has_value());
  CHECK(v.num_reserved() == 4);
}

TEST_CASE("vocab: min_freq drops rare tokens to <unk>", "[text][vocab]") {
  const Vocab v = Vocab::from_tokens({"x", "x", "y"}, {.min_freq = 2, .reserved = {}});
  CHECK(v.tokens() == std::vector<std::string>{"<unk>", "x"});
  CHECK(v.id("y") == 0);
  CHECK_THROWS_AS(Vocab::from_tokens({"x"}, {.min_freq = 0}), wengert::Error);
}

TEST_CASE("vocab: without an unknown token, unknown lookups throw", "[text][vocab]") {
  const Vocab v = Vocab::from_tokens({"x"}, {.reserved = {}, .unk_token = ""});
  CHECK(v.size() == 1);
  CHECK_THROWS_WITH(v.id("q"), Catch::Contains("not in the vocabulary"));
  CHECK_THROWS_WITH(v.token(7), Catch::Contains("id 7 is out of range [0, 1)"));
}

TEST_CASE("vocab: reserved tokens none, unk or all", "[text][vocab]") {
  const std::vector<std::string> corpus = {"b", "a", "a"};
  const Vocab none = Vocab::from_tokens(corpus, reserved_vocab_options(ReservedTokens::none));
  CHECK(none.tokens() == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(none.unk_id().has_value());
  CHECK_THROWS_WITH(none.id("c"), Catch::Contains("no unknown token"));
  const Vocab unk = Vocab::from_tokens(corpus, reserved_vocab_options(ReservedTokens::unk));
  CHECK(unk.tokens() == std::vector<std::string>{"<unk>", "a", "b"});
  CHECK(unk.id("c") == 0);
  const Vocab all = Vocab::from_tokens(corpus, reserved_vocab_options(ReservedTokens::all));
  CHECK(all.tokens() == std::vector<std::string>{"<pad>", "<bos>", "<eos>", "<unk>", "a", "b"});
  CHECK(all.id("c") == 3);
  CHECK(parse_reserved_tokens("unk") == ReservedTokens::unk);
  CHECK_THROWS_WITH(parse_reserved_tokens("some"), Catch::Contains("expected none, unk or all"));
}

TEST_CASE("vocab: a token equal to a reserved one is not duplicated", "[text][vocab]") {
  const Vocab v = Vocab::from_tokens({"<eos>", "a"});
  CHECK(v.size() == 5);
  CHECK(v.id("<eos>") == 2);
}

TEST_CASE("vocab: save/load round trip and corrupt files", "[text][vocab]") {
  const wengert::testing::ScratchDir scratch("vocab");
  const auto& dir = scratch.path;
  const Vocab v = Vocab::from_tokens({"the", "cat", "the", "\xC3\xA9t\xC3\xA9"});
  v.save(dir / "v.json");
  // Written atomically: the folder holds the file itself and no temporary.
  CHECK(std::distance(std::filesystem::directory_iterator(dir),
                      std::filesystem::directory_iterator()) == 1);
  CHECK(Vocab::load(dir / "v.json") == v);

  const auto write = [&](const std::string& text) {
    std::ofstream(dir / "bad.json", std::ios::binary) << text;
    return dir / "bad.json";
  };
  CHECK_THROWS_WITH(Vocab::load(write("{not json")), Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(Vocab::load(write("[]")), Catch::Contains("expected a JSON object"));
  CHECK_THROWS_WITH(Vocab::load(write(R"({"format":"wengert.vocab","version":1})")),
                    Catch::Contains("missing field \"tokens\""));
  CHECK_THROWS_WITH(Vocab::load(write(R"({"format":"wengert.vocab","version":1,"tokens":["a","a"],)"
                                      R"("frequencies":[1,1],"num_reserved":0,"unk_token":""})")),
                    Catch::Contains("duplicate token"));
  CHECK_THROWS_WITH(Vocab::load(write(R"({"format":"wengert.vocab","version":1,"tokens":["a"],)"
                                      R"("frequencies":[1,2],"num_reserved":0,"unk_token":""})")),
                    Catch::Contains("frequencies"));
  CHECK_THROWS_WITH(
      Vocab::load(write(R"({"format":"wengert.vocab","version":1,"tokens":["a"],)"
                        R"("frequencies":[1],"num_reserved":0,"unk_token":"<unk>"})")),
      Catch::Contains("'<unk>' is not in the vocabulary"));
  CHECK_THROWS_WITH(Vocab::load(write(R"({"format":"other","version":1})")),
                    Catch::Contains("format is \"other\""));
  CHECK_THROWS_WITH(Vocab::load(write(R"({"format":"wengert.vocab","version":7})")),
                    Catch::Contains("unsupported"));
  CHECK_THROWS_WITH(Vocab::load(dir / "nope.json"), Catch::Contains("Vocab::load: cannot open"));
}
