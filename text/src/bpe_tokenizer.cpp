// BPETokenizer encoding and decoding. Text is cut into chunks (split_bpe_chunks); each distinct
// chunk is encoded once by merge rank and cached. A chunk is encoded with a min-heap of
// (rank, position) over a linked list of symbols, O(n log n); short chunks use the plain
// "find the lowest-rank pair, merge it" loop, which is faster below a few dozen bytes.
#include <algorithm>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <wengert/tensor/error.hpp>
#include <wengert/text/bpe_tokenizer.hpp>

#include "detail/bpe_chunker.hpp"
#include "detail/json_io.hpp"
#include "detail/load_kind.hpp"
#include "detail/pair_map.hpp"

namespace wengert::text {

namespace {

constexpr std::int32_t no_rank = std::numeric_limits<std::int32_t>::max();
constexpr std::size_t heap_threshold = 24;          // chunk bytes above which the heap kernel runs
constexpr std::size_t max_cache_entries = 1 << 18;  // the cache is cleared when it grows past this

}  // namespace

struct BPETokenizer::Tables {
  detail::PairMap<std::int32_t> ranks;  // (left, right) -> rank + 1 (0: absent)
  std::mutex cache_mutex;
  StringMap<std::vector<std::int32_t>> cache;
};

BPETokenizer::BPETokenizer(std::vector<BPEMerge> merges, std::vector<std::string> reserved)
    : reserved_(std::move(reserved)),
      merges_(std::move(merges)),
      tables_(std::make_unique<Tables>()) {
  const auto num_reserved = static_cast<std::int32_t>(reserved_.size());
  for (std::size_t i = 0; i < reserved_.size(); ++i) {
    check(!reserved_[i].empty(), "BPETokenizer: reserved token ", i, " is empty");
    check(std::find(reserved_.begin(), reserved_.begin() + static_cast<std::ptrdiff_t>(i),
                    reserved_[i]) == reserved_.begin() + static_cast<std::ptrdiff_t>(i),
          "BPETokenizer: duplicate reserved token '", reserved_[i], "'");
  }
  tokens_ = reserved_;
  for (int b = 0; b < 256; ++b) tokens_.emplace_back(1, static_cast<char>(b));
  tables_->ranks = detail::PairMap<std::int32_t>(merges_.size());
  std::size_t total_bytes = 0;  // of the tokens the merges make
  for (std::size_t rank = 0; rank < merges_.size(); ++rank) {
    const BPEMerge m = merges_[rank];
    const auto next_id = static_cast<std::int32_t>(tokens_.size());
    check(
        m.left >= num_reserved && m.left < next_id && m.right >= num_reserved && m.right < next_id,
        "BPETokenizer: merge ", rank, " (", m.left, ", ", m.right, ") refers to an id outside [",
        num_reserved, ", ", next_id, ")");
    bool inserted = false;
    tables_->ranks.get_or_insert(detail::pair_key(m.left, m.right),
                                 static_cast<std::int32_t>(rank) + 1, inserted);
    check(inserted, "BPETokenizer: merge ", rank, " (", m.left, ", ", m.right,
          ") repeats an earlier merge");
    // Bounded so that a hostile file cannot take gigabytes: each merge doubling the last token,
    // or pairing long tokens with each other (1 MB of merges, each making 64 KB, took 6 GB).
    // Real vocabularies average a few bytes a token (GPT-2: 6).
    constexpr std::size_t max_token_bytes = std::size_t{1} << 16, max_mean_token_bytes = 256;
    const std::size_t bytes = tokens_[m.left].size() + tokens_[m.right].size();
    check(bytes <= max_token_bytes, "BPETokenizer: merge ", rank, " makes a token longer than ",
          max_token_bytes, " bytes");
    total_bytes += bytes;
    check(total_bytes <= max_mean_token_bytes * tokens_.size() + 2 * max_token_bytes,
          "BPETokenizer: merge ", rank, " makes the tokens longer than ", max_mean_token_bytes,
          " bytes on average");
    tokens_.push_back(tokens_[m.left] + tokens_[m.right]);
  }
  for (std::size_t id = 0; id < tokens_.size(); ++id) {
    token_ids_.emplace(tokens_[id], static_cast<std::int64_t>(id));  // first id wins
  }
}

BPETokenizer::BPETokenizer(BPETokenizer&&) noexcept = default;
BPETokenizer& BPETokenizer::operator=(BPETokenizer&&) noexcept = default;
BPETokenizer::~BPETokenizer() = default;

std::int32_t BPETokenizer::rank_of(std::int32_t left, std::int32_t right) const {
  const std::int32_t* r = tables_->ranks.find(detail::pair_key(left, right));
  return r ? *r - 1 : no_rank;
}

void BPETokenizer::encode_chunk_reference(std::string_view chunk,
                                          std::vector<std::int32_t>& out) const {
  const auto base = static_cast<std::int32_t>(num_reserved());
  std::vector<std::int32_t> symbols;
  symbols.reserve(chunk.size());
  for (const char c : chunk) symbols.push_back(base + static_cast<unsigned char>(c));
  while (symbols.size() > 1) {
    std::int32_t best = no_rank;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      const std::int32_t r = rank_of(symbols[i], symbols[i + 1]);
      if (r < best) best = r, at = i;
    }
    if (best == no_rank) break;
    symbols[at] = base + 256 + best;
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
}

void BPETokenizer::encode_chunk_heap(std::string_view chunk, std::vector<std::int32_t>& out) const {
  const auto base = static_cast<std::int32_t>(num_reserved());
  const auto n = static_cast<std::int32_t>(chunk.size());
  std::vector<std::int32_t> symbol(n), prev(n), next(n);
  for (std::int32_t i = 0; i < n; ++i) {
    symbol[i] = base + static_cast<unsigned char>(chunk[i]);
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  // (rank, left position), smallest first: lowest rank, then leftmost.
  using Entry = std::pair<std::int32_t, std::int32_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  const auto push = [&](std::int32_t i) {
    if (i < 0 || next[i] < 0) return;
    const std::int32_t r = rank_of(symbol[i], symbol[next[i]]);
    if (r != no_rank) heap.emplace(r, i);
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const auto [r, i] = heap.top();
    heap.pop();
    // Stale entries: the left symbol was absorbed, or the pair at i has changed.
    if (symbol[i] < 0 || next[i] < 0 || rank_of(symbol[i], symbol[next[i]]) != r) continue;
    const std::int32_t j = next[i];
    symbol[i] = base + 256 + r;
    symbol[j] = -1;
    next[i] = next[j];
    if (next[j] >= 0) prev[next[j]] = i;
    push(prev[i]);
    push(i);
  }
  for (std::int32_t i = 0; i >= 0 && i < n; i = next[i]) out.push_back(symbol[i]);
}

void BPETokenizer::encode_chunk(std::string_view chunk, std::vector<std::int32_t>& out) const {
  if (chunk.size() <= heap_threshold) {
    encode_chunk_reference(chunk, out);
  } else {
    encode_chunk_heap(chunk, out);
  }
}

template <class ForEachChunk>
std::vector<std::int64_t> BPETokenizer::encode_cached(std::size_t bytes,
                                                      ForEachChunk&& for_each_chunk) const {
  std::vector<std::int64_t> ids;
  ids.reserve(bytes / 3 + 1);
  std::vector<std::int32_t> scratch;
  std::lock_guard lock(tables_->cache_mutex);
  auto& cache = tables_->cache;
  for_each_chunk([&](std::string_view chunk) {
    auto it = cache.find(chunk);
    if (it == cache.end()) {
      if (cache.size() >= max_cache_entries) cache.clear();
      scratch.clear();
      encode_chunk(chunk, scratch);
      it = cache.emplace(std::string(chunk), scratch).first;
    }
    ids.insert(ids.end(), it->second.begin(), it->second.end());
  });
  return ids;
}

std::vector<std::int64_t> BPETokenizer::encode(std::string_view text) const {
  return encode_cached(text.size(),
                       [&](auto&& on_chunk) { detail::for_each_bpe_chunk(text, on_chunk); });
}

std::vector<std::int64_t> BPETokenizer::encode_chunks(
    std::span<const std::string_view> chunks) const {
  std::size_t bytes = 0;
  for (const std::string_view c : chunks) bytes += c.size();
  return encode_cached(bytes, [&](auto&& on_chunk) {
    for (const std::string_view c : chunks) on_chunk(c);
  });
}

std::string BPETokenizer::decode(std::span<const std::int64_t> ids) const {
  std::string out;
  out.reserve(ids.size() * 4);
  for (const std::int64_t id : ids) {
    check(id >= 0 && id < vocab_size(), "BPETokenizer::decode: id ", id, " is out of range [0, ",
          vocab_size(), ")");
    out += tokens_[static_cast<std::size_t>(id)];
  }
  return out;
}

std::string BPETokenizer::id_to_token(std::int64_t id) const {
  check(id >= 0 && id < vocab_size(), "BPETokenizer::id_to_token: id ", id, " is out of range [0, ",
        vocab_size(), ")");
  return tokens_[static_cast<std::size_t>(id)];
}

std::optional<std::int64_t> BPETokenizer::token_to_id(std::string_view token) const {
  const auto it = token_ids_.find(token);
  if (it == token_ids_.end()) return std::nullopt;
  return it->second;
}

void BPETokenizer::to_json(nlohmann::json& out) const {
  nlohmann::json merges = nlohmann::json::array();
  for (const BPEMerge& m : merges_) merges.push_back({m.left, m.right});
  out["reserved"] = reserved_;
  out["pretokenizer"] = "wengert-chunks-v1";
  out["merges"] = std::move(merges);
}

BPETokenizer BPETokenizer::from_json(const nlohmann::json& in, std::string_view where) {
  using value_t = nlohmann::json::value_t;
  const std::string pretokenizer = detail::string_field(in, "pretokenizer", where);
  check(pretokenizer == "wengert-chunks-v1", where, ": unknown pretokenizer '", pretokenizer, "'");
  std::vector<std::string> reserved;
  for (const auto& r : detail::field(in, "reserved", value_t::array, where)) {
    check(r.is_string(), where, ": corrupt file: a reserved token is not a string");
    reserved.push_back(r.get<std::string>());
  }
  std::vector<BPEMerge> merges;
  const auto& merges_json = detail::field(in, "merges", value_t::array, where);
  merges.reserve(merges_json.size());
  for (const auto& m : merges_json) {
    check(m.is_array() && m.size() == 2, where, ": corrupt file: merge ", merges.size(),
          " is not a pair [left, right]");
    const std::int64_t left = detail::as_int(m[0], "a merge id", where);
    const std::int64_t right = detail::as_int(m[1], "a merge id", where);
    constexpr std::int64_t max_id = std::numeric_limits<std::int32_t>::max() / 2;
    check(left >= 0 && right >= 0 && left < max_id && right < max_id, where,
          ": corrupt file: merge ", merges.size(), " has an id out of range");
    merges.push_back({static_cast<std::int32_t>(left), static_cast<std::int32_t>(right)});
  }
  try {
    return BPETokenizer(std::move(merges), std::move(reserved));
  } catch (const Error& e) {
    fail(where, ": corrupt file: ", e.what());
  }
}

BPETokenizer BPETokenizer::load(const std::filesystem::path& path) {
  return detail::load_kind<BPETokenizer>(path, "BPETokenizer::load");
}

}  // namespace wengert::text
