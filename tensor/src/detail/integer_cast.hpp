// Converting a floating value to i64: C++ leaves the cast of NaN, of an infinity or of a value
// outside int64's range undefined, so every such conversion checks first. In range, the value is
// truncated toward zero, as by static_cast (and PyTorch's .long()).
#pragma once

#include <cstdint>
#include <limits>

namespace wengert::detail {

// -2^63 <= value < 2^63 (both bounds are exact doubles); false for NaN.
inline bool fits_int64(double value) {
  return value >= -9223372036854775808.0 && value < 9223372036854775808.0;
}

// A bound for an i64 comparison: values beyond int64's range saturate to its ends (clamp(x, 0,
// inf) keeps every non-negative value); NaN is the caller's to refuse.
inline std::int64_t saturate_int64(double value) {
  if (value < -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
  if (value >= 9223372036854775808.0) return std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(value);
}

}  // namespace wengert::detail
