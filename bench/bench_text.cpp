// Text benchmarks: BPE training on Tiny Shakespeare (1.1 MB) to 2,000 and 8,000 merges, BPE and
// char encoding throughput (bytes_per_second) and tokens per character. Compare with
// scripts/bench_sentencepiece.py, which trains sentencepiece BPE at the same vocabulary size.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <wengert/text/bpe_tokenizer.hpp>
#include <wengert/text/char_tokenizer.hpp>
#include <wengert/text/corpus.hpp>

namespace {

using namespace wengert::text;

// data/tinyshakespeare.txt, found from this source file or the working directory.
const std::string& shakespeare() {
  static const std::string text = [] {
    const std::filesystem::path here = std::filesystem::path(__FILE__).parent_path();
    for (const auto& candidate :
         {here.parent_path() / "data", std::filesystem::path("data"),
          std::filesystem::path("../data"), std::filesystem::path("../../data")}) {
      if (std::filesystem::exists(candidate / "tinyshakespeare.txt")) {
        return load_corpus(candidate / "tinyshakespeare.txt");
      }
    }
    return std::string();
  }();
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

}  // namespace
