// A transparent string hash, so maps keyed by std::string can be searched with a string_view
// without allocating a temporary key.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wengert::text {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace wengert::text
