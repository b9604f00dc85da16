// Vocab: building the id table from token counts (reserved first, then by frequency with
// byte-order tie-breaking), lookups, and the JSON save format.
#include <algorithm>
#include <wengert/tensor/enum_names.hpp>
#include <wengert/tensor/error.hpp>
#include <wengert/text/vocab.hpp>

#include "detail/json_io.hpp"

namespace wengert::text {

std::vector<std::string> default_reserved_tokens() { return {"<pad>", "<bos>", "<eos>", "<unk>"}; }

ReservedTokens parse_reserved_tokens(std::string_view name) {
  return parse_enum(kReservedTokensNames, name, "reserved tokens");
}

std::vector<std::string> reserved_token_list(ReservedTokens which) {
  switch (which) {
    case ReservedTokens::none:
      return {};
    case ReservedTokens::unk:
      return {"<unk>"};
    case ReservedTokens::all:
      break;
  }
  return default_reserved_tokens();
}

VocabOptions reserved_vocab_options(ReservedTokens which) {
  VocabOptions options;
  options.reserved = reserved_token_list(which);
  if (which == ReservedTokens::none) options.unk_token.clear();
  return options;
}

Vocab::Vocab(std::vector<std::string> tokens, std::vector<std::int64_t> frequencies,
             std::int64_t num_reserved, std::string unk_token)
    : tokens_(std::move(tokens)),
      frequencies_(std::move(frequencies)),
      num_reserved_(num_reserved),
      unk_token_(std::move(unk_token)) {
  check(frequencies_.size() == tokens_.size(), "Vocab: ", tokens_.size(), " tokens but ",
        frequencies_.size(), " frequencies");
  check(num_reserved_ >= 0 && num_reserved_ <= size(), "Vocab: num_reserved ", num_reserved_,
        " is out of range [0, ", size(), "]");
  index_.reserve(tokens_.size());
  for (std::int64_t id = 0; id < size(); ++id) {
    check(frequencies_[id] >= 0, "Vocab: negative frequency for token '", tokens_[id], "'");
    const bool inserted = index_.emplace(tokens_[id], id).second;
    check(inserted, "Vocab: duplicate token '", tokens_[id], "'");
  }
  if (!unk_token_.empty()) {
    unk_id_ = find(unk_token_);
    check(unk_id_.has_value(), "Vocab: unknown token '", unk_token_, "' is not in the vocabulary");
  }
}

Vocab Vocab::from_counts(const TokenCounts& counts, const VocabOptions& options) {
  check(options.min_freq >= 1, "Vocab: min_freq must be >= 1, got ", options.min_freq);
  std::vector<std::string> tokens;
  if (!options.unk_token.empty() && std::find(options.reserved.begin(), options.reserved.end(),
                                              options.unk_token) == options.reserved.end()) {
    tokens.push_back(options.unk_token);
  }
  tokens.insert(tokens.end(), options.reserved.begin(), options.reserved.end());
  const auto num_reserved = static_cast<std::int64_t>(tokens.size());
  std::vector<std::int64_t> freqs(tokens.size(), 0);

  std::vector<std::pair<std::string_view, std::int64_t>> ranked;
  ranked.reserve(counts.size());
  for (const auto& [token, count] : counts) {
    const bool reserved = std::find(tokens.begin(), tokens.end(), token) != tokens.end();
    if (count >= options.min_freq && !reserved) ranked.emplace_back(token, count);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (const auto& [token, count] : ranked) {
    tokens.emplace_back(token);
    freqs.push_back(count);
  }
  return Vocab(std::move(tokens), std::move(freqs), num_reserved, options.unk_token);
}

Vocab Vocab::from_tokens(const std::vector<std::string>& tokens, const VocabOptions& options) {
  TokenCounts counts;
  for (const std::string& token : tokens) ++counts[token];
  return from_counts(counts, options);
}

std::optional<std::int64_t> Vocab::find(std::string_view token) const {
  const auto it = index_.find(token);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::int64_t Vocab::id(std::string_view token) const {
  if (const auto found = find(token)) return *found;
  check(unk_id_.has_value(), "Vocab::id: token '", token,
        "' is not in the vocabulary and there is no unknown token");
  return *unk_id_;
}

const std::string& Vocab::token(std::int64_t id) const {
  check(id >= 0 && id < size(), "Vocab::token: id ", id, " is out of range [0, ", size(), ")");
  return tokens_[static_cast<std::size_t>(id)];
}

std::int64_t Vocab::frequency(std::int64_t id) const {
  check(id >= 0 && id < size(), "Vocab::frequency: id ", id, " is out of range [0, ", size(), ")");
  return frequencies_[static_cast<std::size_t>(id)];
}

void Vocab::save(const std::filesystem::path& path) const {
  detail::json out = detail::vocab_to_json(*this);
  out["format"] = "wengert.vocab";
  out["version"] = 1;
  detail::save_json_atomic(path, out, "Vocab::save");
}

Vocab Vocab::load(const std::filesystem::path& path) {
  const detail::json in = detail::read_json_file(path, "Vocab::load");
  const std::string where = "Vocab::load: '" + path.string() + "'";
  detail::check_format(in, "wengert.vocab", 1, where);
  return detail::vocab_from_json(in, where);
}

}  // namespace wengert::text
