// Shapes and strides: small vectors of int64, plus the broadcasting and axis rules every op shares.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace wengert {

using Shape = std::vector<std::int64_t>;    // extent of each axis
using Strides = std::vector<std::int64_t>;  // step (in elements, may be 0 or negative) per axis

std::string shape_str(const Shape& shape);  // "[32, 256]"
std::int64_t numel_of(const Shape& shape);
Strides contiguous_strides(const Shape& shape);  // row-major

// NumPy broadcasting: align from the right; extents must match or be 1. Throws naming `op`.
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);

// Maps a possibly negative axis into [0, rank); throws naming `op` when out of range.
std::int64_t normalize_axis(std::string_view op, std::int64_t axis, std::int64_t rank);

// Sorted, unique, normalized axes; an empty list means "all axes".
std::vector<std::int64_t> normalize_axes(std::string_view op, std::vector<std::int64_t> axes,
                                         std::int64_t rank);

struct ShapePrinter {
  const Shape& shape;
};
inline std::ostream& operator<<(std::ostream& out, ShapePrinter p) {
  return out << shape_str(p.shape);
}

}  // namespace wengert
