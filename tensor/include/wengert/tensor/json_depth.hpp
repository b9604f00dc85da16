// The one guard of every JSON the project reads (safetensors headers, tokenizers, run files):
// nesting is limited, so a hostile file nested 100,000 levels deep gets an error instead of
// exhausting the stack when the parsed value is copied or destroyed (both recurse). Header-only
// so that the tensor layer itself does not depend on nlohmann::json; pass the callback to
// Json::parse:  Json::parse(text, depth_limited<Json>())
#pragma once

#include <functional>

#include "error.hpp"

namespace wengert {

constexpr int kMaxJsonDepth = 64;  // far beyond any file the project writes (at most 4 levels)

// A parser callback that throws wengert::Error "JSON nested deeper than 64 levels" and otherwise
// defers to `inner` (when given), e.g. a check for duplicate keys.
template <class Json>
typename Json::parser_callback_t depth_limited(typename Json::parser_callback_t inner = nullptr) {
  return [inner = std::move(inner)](int depth, typename Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxJsonDepth) fail("JSON nested deeper than ", kMaxJsonDepth, " levels");
    return inner ? inner(depth, event, parsed) : true;
  };
}

}  // namespace wengert
