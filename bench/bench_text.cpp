// Text benchmarks: BPE training on Tiny Shakespeare (1.1 MB) to 2,000 and 8,000 merges, BPE and
// char encoding throughput (bytes_per_second) and tokens per character. Compare with
// scripts/bench_sentencepiece.py, which trains sentencepiece BPE at the same vocabulary size.
// GPT-2's tokenizer (files in tests/text/fixtures/gpt2) encoding the same text; compare with
// node scripts/make_gpt2_reference.js, which times the JavaScript reference encoder.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <wengert/text/bpe_tokenizer.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/corpus.hpp>
#include <wengert/text/gpt2_tokenizer.hpp>

namespace {

using namespace wengert::text;

// The source tree (holding data/tinyshakespeare.txt), found from this source file or the
// working directory; empty when not found.
const std::filesystem::path& source_root() {
  static const std::filesystem::path root = [] {
    const std::filesystem::path here = std::filesystem::path(__FILE__).parent_path();
    for (const auto& candidate : {here.parent_path(), std::filesystem::path("."),
                                  std::filesystem::path(".."), std::filesystem::path("../..")}) {
      if (std::filesystem::exists(candidate / "data/tinyshakespeare.txt")) return candidate;
    }
    return std::filesystem::path();
  }();
  return root;
}

const std::string& shakespeare() {
  static const std::string text = source_root().empty()
                                      ? std::string()
                                      : load_corpus(source_root() / "data/tinyshakespeare.txt");
  return text;
}

// Trained once per merge count and shared by the encoding benchmarks.
const BPETokenizer& trained(std::int64_t merges) {
  static std::map<std::int64_t, std::unique_ptr<BPETokenizer>> cache;
  auto& slot = cache[merges];
  if (!slot) {
    slot =
        std::make_unique<BPETokenizer>(BPETokenizer::train(shakespeare(), {.num_merges = merges}));
  }
  return *slot;
}

void BM_BPETrain(benchmark::State& state) {
  const std::string& text = shakespeare();
  if (text.empty()) return state.SkipWithError("data/tinyshakespeare.txt not found");
  std::int64_t vocab = 0;
  for (auto _ : state) {
    const BPETokenizer tok = BPETokenizer::train(text, {.num_merges = state.range(0)});
    vocab = tok.vocab_size();
    benchmark::DoNotOptimize(vocab);
  }
  state.counters["vocab_size"] = static_cast<double>(vocab);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_BPETrain)->Arg(2000)->Arg(8000)->Iterations(1)->Unit(benchmark::kMillisecond);

// Cold: a fresh tokenizer (empty chunk cache) per pass, so every distinct chunk of the text is
// encoded by merge ranks once, as in a first encoding of a corpus.
void BM_BPEEncode(benchmark::State& state) {
  const std::string& text = shakespeare();
  if (text.empty()) return state.SkipWithError("data/tinyshakespeare.txt not found");
  const BPETokenizer& source = trained(state.range(0));
  std::size_t tokens = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const BPETokenizer fresh(source.merges(), source.reserved());
    state.ResumeTiming();
    tokens = fresh.encode(text).size();
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["vocab_size"] = static_cast<double>(source.vocab_size());
  state.counters["tokens_per_char"] =
      static_cast<double>(tokens) / static_cast<double>(text.size());
}
BENCHMARK(BM_BPEEncode)->Arg(2000)->Arg(8000)->Unit(benchmark::kMillisecond);

// Tokens per character when newlines cost nothing, as with sentencepiece's default normalization
// (every whitespace run, newlines included, becomes one space; the ends are trimmed): trained
// and encoded on that text, counted per character of the original file, as
// scripts/bench_sentencepiece.py counts.
void BM_BPETokensCollapsed(benchmark::State& state) {
  const std::string& raw = shakespeare();
  if (raw.empty()) return state.SkipWithError("data/tinyshakespeare.txt not found");
  std::string text;
  for (const char c : raw) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      text.push_back(c);
    } else if (!text.empty() && text.back() != ' ') {
      text.push_back(' ');
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::size_t tokens = 0;
  for (auto _ : state) {
    tokens = BPETokenizer::train(text, {.num_merges = state.range(0)}).encode(text).size();
  }
  state.counters["tokens_per_char"] = static_cast<double>(tokens) / static_cast<double>(raw.size());
}
BENCHMARK(BM_BPETokensCollapsed)
    ->Arg(2000)
    ->Arg(8000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Warm: the same tokenizer encodes again, every chunk served from its cache.
void BM_BPEEncodeWarm(benchmark::State& state) {
  const std::string& text = shakespeare();
  if (text.empty()) return state.SkipWithError("data/tinyshakespeare.txt not found");
  const BPETokenizer& tok = trained(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode(text).size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_BPEEncodeWarm)->Arg(8000)->Unit(benchmark::kMillisecond);

void BM_CharEncode(benchmark::State& state) {
  const std::string& text = shakespeare();
  if (text.empty()) return state.SkipWithError("data/tinyshakespeare.txt not found");
  const CharTokenizer tok = CharTokenizer::train(text);
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode(text).size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_CharEncode)->Unit(benchmark::kMillisecond);

// GPT-2's tokenizer, cold (loaded afresh, empty chunk cache, per pass) and warm.
void BM_GPT2Encode(benchmark::State& state) {
  const std::string& text = shakespeare();
  const auto dir = source_root() / "tests/text/fixtures/gpt2";
  if (text.empty() || !std::filesystem::exists(dir / "encoder.json"))
    return state.SkipWithError("data/tinyshakespeare.txt or the GPT-2 files not found");
  const bool warm = state.range(0) != 0;
  std::unique_ptr<GPT2Tokenizer> tok;
  std::size_t tokens = 0;
  for (auto _ : state) {
    if (!warm || !tok) {
      state.PauseTiming();
      tok = std::make_unique<GPT2Tokenizer>(GPT2Tokenizer::load_gpt2_files(dir));
      if (warm) tok->encode(text);
      state.ResumeTiming();
    }
    tokens = tok->encode(text).size();
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["tokens_per_char"] =
      static_cast<double>(tokens) / static_cast<double>(text.size());
}
BENCHMARK(BM_GPT2Encode)
    ->ArgName("warm")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

}  // namespace
