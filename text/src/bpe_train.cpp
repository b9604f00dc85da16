// BPE training (Sennrich et al. 2016) with incremental pair counts. The corpus is reduced to
// its unique chunks with their frequencies; each pair keeps its count and the words it occurs
// in. A merge visits only those words, subtracts their old pairs and adds their new ones; a
// max-heap with lazy deletion yields the next most frequent pair (ties: smallest ids first).
#include <algorithm>
#include <queue>
#include <wengert/tensor/error.hpp>
#include <wengert/text/bpe_tokenizer.hpp>

#include "detail/bpe_chunker.hpp"
#include "detail/pair_map.hpp"

namespace wengert::text {

namespace {

struct Word {
  std::vector<std::int32_t> symbols;
  std::int64_t freq;
};

struct PairStat {
  std::int64_t count = 0;
  std::vector<std::int32_t> words;  // may hold words that lost the pair since (checked on use)
};

struct HeapEntry {
  std::int64_t count;
  std::uint64_t key;
  // Max-heap order: higher count first, then the smaller (left, right) key.
  friend bool operator<(const HeapEntry& a, const HeapEntry& b) {
    return a.count != b.count ? a.count < b.count : a.key > b.key;
  }
};

class PairCounts {
 public:
  explicit PairCounts(std::size_t expected) : slots_(expected) {}

  PairStat& at(std::uint64_t key) {
    bool inserted = false;
    const std::int32_t slot =
        slots_.get_or_insert(key, static_cast<std::int32_t>(stats_.size()), inserted);
    if (inserted) stats_.emplace_back();
    return stats_[static_cast<std::size_t>(slot)];
  }
  std::int64_t count(std::uint64_t key) const {
    const std::int32_t* slot = slots_.find(key);
    return slot ? stats_[static_cast<std::size_t>(*slot)].count : 0;
  }
  // Records an occurrence of `key` in word `w` (consecutive repeats are stored once).
  void add(std::uint64_t key, std::int64_t freq, std::int32_t w) {
    PairStat& stat = at(key);
    stat.count += freq;
    if (stat.words.empty() || stat.words.back() != w) stat.words.push_back(w);
  }

 private:
  detail::PairMap<std::int32_t> slots_;
  std::vector<PairStat> stats_;
};

bool contains_pair(const std::vector<std::int32_t>& s, std::int32_t a, std::int32_t b) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == a && s[i + 1] == b) return true;
  }
  return false;
}

}  // namespace

BPETokenizer BPETokenizer::train(std::string_view corpus, const BPETrainOptions& options) {
  check(!corpus.empty(), "BPETokenizer::train: the corpus is empty");
  check(options.min_pair_freq >= 1, "BPETokenizer::train: min_pair_freq must be >= 1, got ",
        options.min_pair_freq);
  const auto base = static_cast<std::int32_t>(options.reserved.size());
  const std::int32_t first_merge_id = base + 256;
  const std::int64_t num_merges =
      options.vocab_size > 0 ? options.vocab_size - first_merge_id : options.num_merges;
  check(num_merges >= 0, "BPETokenizer::train: vocab_size ", options.vocab_size,
        " is smaller than the ", first_merge_id, " reserved and byte tokens");

  // Unique chunks and their frequencies.
  StringMap<std::int64_t> chunk_counts;
  detail::for_each_bpe_chunk(corpus, [&](std::string_view chunk) {
    auto it = chunk_counts.find(chunk);
    if (it == chunk_counts.end()) it = chunk_counts.emplace(std::string(chunk), 0).first;
    ++it->second;
  });
  std::vector<Word> words;
  words.reserve(chunk_counts.size());
  for (const auto& [chunk, freq] : chunk_counts) {
    Word word{{}, freq};
    for (const char c : chunk) word.symbols.push_back(base + static_cast<unsigned char>(c));
    words.push_back(std::move(word));
  }

  PairCounts pairs(words.size() * 4);
  for (std::size_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w].symbols;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      pairs.add(detail::pair_key(s[i], s[i + 1]), words[w].freq, static_cast<std::int32_t>(w));
    }
  }
  std::vector<HeapEntry> initial;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w].symbols;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      const std::uint64_t key = detail::pair_key(s[i], s[i + 1]);
      initial.push_back({pairs.count(key), key});
    }
  }
  std::sort(initial.begin(), initial.end(),
            [](const HeapEntry& a, const HeapEntry& b) { return a.key < b.key; });
  initial.erase(std::unique(initial.begin(), initial.end(),
                            [](const HeapEntry& a, const HeapEntry& b) { return a.key == b.key; }),
                initial.end());
  std::priority_queue<HeapEntry> heap(std::less<HeapEntry>{}, std::move(initial));

  std::vector<BPEMerge> merges;
  std::vector<std::int64_t> visited(words.size(), -1);  // merge index that last visited a word
  std::vector<std::uint64_t> created;                   // pairs holding the new symbol
  std::vector<std::int32_t> merged;
  for (std::int64_t m = 0; m < num_merges; ++m) {
    // Pop until an entry matches its pair's current count; re-queue decreased counts.
    HeapEntry best{0, 0};
    while (!heap.empty()) {
      const HeapEntry top = heap.top();
      heap.pop();
      const std::int64_t current = pairs.count(top.key);
      if (current == top.count) {
        best = top;
        break;
      }
      if (current > 0) heap.push({current, top.key});
    }
    if (best.count < options.min_pair_freq) break;

    const std::int32_t a = detail::pair_left(best.key), b = detail::pair_right(best.key);
    const std::int32_t z = first_merge_id + static_cast<std::int32_t>(m);
    merges.push_back({a, b});
    created.clear();
    const std::vector<std::int32_t> affected = std::move(pairs.at(best.key).words);
    for (const std::int32_t w : affected) {
      if (visited[w] == m) continue;
      visited[w] = m;
      Word& word = words[w];
      std::vector<std::int32_t>& s = word.symbols;
      if (!contains_pair(s, a, b)) continue;
      for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        pairs.at(detail::pair_key(s[i], s[i + 1])).count -= word.freq;
      }
      merged.clear();
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          merged.push_back(z);
          ++i;
        } else {
          merged.push_back(s[i]);
        }
      }
      s.swap(merged);
      for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const std::uint64_t key = detail::pair_key(s[i], s[i + 1]);
        if (s[i] == z || s[i + 1] == z) {
          pairs.add(key, word.freq, w);
          created.push_back(key);
        } else {
          pairs.at(key).count += word.freq;  // existed before the merge: no new word to record
        }
      }
    }
    std::sort(created.begin(), created.end());
    created.erase(std::unique(created.begin(), created.end()), created.end());
    for (const std::uint64_t key : created) heap.push({pairs.count(key), key});
  }
  return BPETokenizer(std::move(merges), options.reserved);
}

}  // namespace wengert::text
