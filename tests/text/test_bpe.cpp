// BPETokenizer: pre-tokenization, training (against a naive recount-everything reference),
// deterministic ties, encoding kernels, round trips and save/load.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <map>
#include <wengert/tensor/error.hpp>
#include <wengert/tensor/random.hpp>
#include <wengert/text/bpe_tokenizer.hpp>
#include <wengert/text/word_tokenizer.hpp>

#include "text_test_util.hpp"

using namespace wengert::text;

namespace {

std::string slice(std::size_t n) { return wengert::testing::time_machine().substr(0, n); }

// Reference trainer: recount every pair of every word before each merge.
std::vector<BPEMerge> naive_train(std::string_view corpus, std::int64_t num_merges) {
  std::map<std::string, std::int64_t> chunks;
  for (auto c : split_bpe_chunks(corpus)) ++chunks[std::string(c)];
  std::vector<std::pair<std::vector<std::int32_t>, std::int64_t>> words;
  for (const auto& [chunk, freq] : chunks) {
    std::vector<std::int32_t> s;
    for (char c : chunk) s.push_back(4 + static_cast<unsigned char>(c));
    words.emplace_back(s, freq);
  }
  std::vector<BPEMerge> merges;
  for (std::int64_t m = 0; m < num_merges; ++m) {
    std::map<std::pair<std::int32_t, std::int32_t>, std::int64_t> counts;
    for (const auto& [s, freq] : words) {
      for (std::size_t i = 0; i + 1 < s.size(); ++i) counts[{s[i], s[i + 1]}] += freq;
    }
    std::pair<std::int32_t, std::int32_t> best{};
    std::int64_t best_count = 0;
    for (const auto& [pair, count] : counts) {  // std::map: ascending, so ties keep the smallest
      if (count > best_count) best = pair, best_count = count;
    }
    if (best_count < 2) break;
    const std::int32_t z = 260 + static_cast<std::int32_t>(m);
    merges.push_back({best.first, best.second});
    for (auto& [s, freq] : words) {
      std::vector<std::int32_t> out;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second) {
          out.push_back(z);
          ++i;
        } else {
          out.push_back(s[i]);
        }
      }
      s = out;
    }
  }
  return merges;
}

std::string random_bytes(wengert::Generator& rng, std::size_t n, int alphabet = 256) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng.below(static_cast<std::uint64_t>(alphabet)));
  return s;
}

}  // namespace

TEST_CASE("bpe: pre-tokenizer chunks are lossless and keep words together", "[text][bpe]") {
  using V = std::vector<std::string_view>;
  CHECK(split_bpe_chunks("Hello, world") == V{"Hello", ",", " world"});
  CHECK(split_bpe_chunks("a  b\n\nc 42!?") == V{"a", " ", " b", "\n\n", "c", " 42", "!?"});
  CHECK(split_bpe_chunks("x  ") == V{"x", "  "});
  CHECK(split_bpe_chunks("caf\xC3\xA9 ok") == V{"caf\xC3\xA9", " ok"});
  CHECK(split_bpe_chunks("").empty());
  const std::string long_run(300, 'a');
  const auto chunks = split_bpe_chunks(long_run);
  CHECK(chunks.size() == 3u);
  CHECK(chunks[0].size() == max_chunk_bytes);
  wengert::Generator rng(1);
  for (int trial = 0; trial < 50; ++trial) {
    const std::string s = random_bytes(rng, rng.below(400), trial % 2 ? 256 : 40);
    std::string joined;
    for (auto c : split_bpe_chunks(s)) joined += c;
    CHECK(joined == s);
  }
}

TEST_CASE("bpe: first merge is the most frequent pair; ties go to the smallest ids",
          "[text][bpe]") {
  const BPETokenizer tok = BPETokenizer::train("aaab aaab aaab", {.num_merges = 1});
  REQUIRE(tok.merges().size() == 1u);
  CHECK(tok.merges()[0] == BPEMerge{4 + 'a', 4 + 'a'});
  const BPETokenizer tie = BPETokenizer::train("ab cd", {.num_merges = 1, .min_pair_freq = 1});
  CHECK(tie.merges()[0] == BPEMerge{4 + ' ', 4 + 'c'});
  // Stops early when no pair occurs twice.
  CHECK(BPETokenizer::train("abcdef", {.num_merges = 10}).merges().empty());
}

TEST_CASE("bpe: incremental training equals the naive recounting trainer", "[text][bpe]") {
  const std::string text = slice(6000);
  const BPETokenizer tok = BPETokenizer::train(text, {.num_merges = 150});
  CHECK(tok.merges() == naive_train(text, 150));
  CHECK(tok.vocab_size() == 260 + static_cast<std::int64_t>(tok.merges().size()));
}

TEST_CASE("bpe: training to a vocabulary size is deterministic and compresses", "[text][bpe]") {
  const std::string text = slice(30000);
  const BPETokenizer a = BPETokenizer::train(text, {.vocab_size = 560});
  const BPETokenizer b = BPETokenizer::train(text, {.vocab_size = 560});
  CHECK(a.vocab_size() == 560);
  CHECK(a.merges() == b.merges());
  const auto ids = a.encode(text);
  CHECK(a.decode(ids) == text);
  CHECK(ids.size() * 2 < text.size());  // fewer than 1/2 token per char on training text
  CHECK(a.id_to_token(*a.token_to_id(" the")) == " the");
  CHECK(a.token_to_id("<eos>") == 2);
  CHECK(a.kind() == "bpe");
  CHECK_THROWS_WITH(BPETokenizer::train(text, {.vocab_size = 100}),
                    Catch::Contains("smaller than the 260 reserved and byte tokens"));
  CHECK_THROWS_WITH(BPETokenizer::train("", {.num_merges = 5}), Catch::Contains("empty"));
}

TEST_CASE("bpe: heap kernel equals the reference kernel", "[text][bpe]") {
  const BPETokenizer tok = BPETokenizer::train(slice(20000), {.num_merges = 300});
  wengert::Generator rng(7);
  const std::string alphabet = "etaoin shrdlu";
  for (int trial = 0; trial < 200; ++trial) {
    std::string chunk(1 + rng.below(120), ' ');
    for (char& c : chunk) c = alphabet[rng.below(alphabet.size())];
    std::vector<std::int32_t> fast, reference;
    tok.encode_chunk(chunk, fast);
    tok.encode_chunk_reference(chunk, reference);
    REQUIRE(fast == reference);
  }
}

TEST_CASE("bpe: save/load keeps merges and encodings", "[text][bpe]") {
  const wengert::testing::ScratchDir scratch("bpe");
  const auto& dir = scratch.path;
  const BPETokenizer tok = BPETokenizer::train(slice(10000), {.num_merges = 100});
  tok.save(dir / "bpe.json");
  // Written atomically: the folder holds the file itself and no temporary.
  CHECK(std::distance(std::filesystem::directory_iterator(dir),
                      std::filesystem::directory_iterator()) == 1);
  const BPETokenizer loaded = BPETokenizer::load(dir / "bpe.json");
  CHECK(loaded.merges() == tok.merges());
  const std::string probe = "The Time Traveller \xE2\x9C\x93 smiled.";
  CHECK(loaded.encode(probe) == tok.encode(probe));
  CHECK(load_tokenizer(dir / "bpe.json")->kind() == "bpe");
  CHECK_THROWS_WITH(WordTokenizer::load(dir / "bpe.json"), Catch::Contains("holds a 'bpe'"));
}

TEST_CASE("bpe: corrupt merges files give clear errors", "[text][bpe]") {
  const wengert::testing::ScratchDir scratch("bpe_bad");
  const auto& dir = scratch.path;
  const auto write = [&](const std::string& merges) {
    std::ofstream(dir / "m.json", std::ios::binary)
        << R"({"format":"wengert.tokenizer","version":1,"kind":"bpe",)"
        << R"("reserved":["<pad>","<bos>","<eos>","<unk>"],"pretokenizer":"wengert-chunks-v1",)"
        << R"("merges":)" << merges << "}";
    return dir / "m.json";
  };
  CHECK_NOTHROW(load_tokenizer(write("[[104, 105]]")));
  CHECK_THROWS_WITH(load_tokenizer(write("[[104, 260]]")),
                    Catch::Contains("merge 0") && Catch::Contains("m.json"));
  CHECK_THROWS_WITH(load_tokenizer(write("[[104, 105], [104, 105]]")),
                    Catch::Contains("repeats an earlier merge"));
  CHECK_THROWS_WITH(load_tokenizer(write("[[1, 2, 3]]")), Catch::Contains("not a pair"));
  CHECK_THROWS_WITH(load_tokenizer(write("[[\"a\", 5]]")), Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(load_tokenizer(write("[[-5, 5]]")), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(load_tokenizer(write("{}")), Catch::Contains("\"merges\" is not an array"));
  CHECK_THROWS_WITH(load_tokenizer(write("[[0, 5]]")), Catch::Contains("outside"));
  CHECK_THROWS_WITH(BPETokenizer({}, {"<x>", "<x>"}), Catch::Contains("duplicate reserved"));
  std::ofstream(dir / "k.json") << R"({"format":"wengert.tokenizer","version":1,"kind":"xyz"})";
  CHECK_THROWS_WITH(load_tokenizer(dir / "k.json"),
                    Catch::Contains("unknown tokenizer kind 'xyz'"));
}

TEST_CASE("bpe: merges making many long tokens are refused before memory runs out", "[text][bpe]") {
  // 15 merges double 'a' to 32 KB (fine: one long token); 300 more append one 'a' each and every
  // pair of those makes a 64 KB token: 90,300 merges, a 1.3 MB file, would take 6 GB. The tokens
  // may average at most 256 bytes (beyond a slack of two 64 KB tokens).
  const std::int32_t a = 'a';
  std::vector<BPEMerge> merges{{a, a}};
  for (std::int32_t k = 1; k < 15; ++k) merges.push_back({255 + k, 255 + k});
  CHECK(BPETokenizer(merges, {}).id_to_token(256 + 14) == std::string(32768, 'a'));
  const std::int32_t first_long = 256 + 14;
  for (std::int32_t k = 0; k < 300; ++k) merges.push_back({first_long + k, a});
  for (std::int32_t i = 0; i < 300; ++i)
    for (std::int32_t j = 0; j < 300; ++j) merges.push_back({first_long + i, first_long + j});
  // 256 bytes + 15 doublings = 65,534 bytes; each appended token adds ~32 KB against a budget
  // of 256 per token: the 5th one (merge 19) passes 256 * 275 + 2 * 65,536 bytes.
  CHECK_THROWS_WITH(BPETokenizer(merges, {}),
                    Catch::Contains("merge 19 makes the tokens longer than 256 bytes on average"));
}
