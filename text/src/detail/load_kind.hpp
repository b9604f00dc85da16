// Loading a saved tokenizer file as one particular kind: load_tokenizer() reads any kind, and
// CharTokenizer::load / WordTokenizer::load / BPETokenizer::load narrow its result.
#pragma once

#include <filesystem>
#include <string_view>
#include <utility>
#include <wengert/tensor/error.hpp>
#include <wengert/text/tokenizer.hpp>

namespace wengert::text::detail {

// Throws "<op>: '<path>' holds a '<kind>' tokenizer" when the file holds another kind.
template <class Kind>
Kind load_kind(const std::filesystem::path& path, std::string_view op) {
  auto loaded = load_tokenizer(path);
  auto* typed = dynamic_cast<Kind*>(loaded.get());
  check(typed != nullptr, op, ": '", path.string(), "' holds a '", loaded->kind(), "' tokenizer");
  return std::move(*typed);
}

}  // namespace wengert::text::detail
