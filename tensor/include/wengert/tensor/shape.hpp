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

// "[32, 256]": the one shape printer. ShapePrinter{shape} (below) streams the same text lazily,
// for check() arguments, which are only formatted when the check fails.
std::string shape_str(const Shape& shape);

// a * b for sizes computed from `shape` (element counts, strides, bytes); throws naming `op` and
// the shape when the product does not fit in int64. The one overflow check of every size.
std::int64_t checked_size_mul(std::string_view op, const Shape& shape, std::int64_t a,
                              std::int64_t b);

std::int64_t numel_of(const Shape& shape);       // throws when the count overflows int64
Strides contiguous_strides(const Shape& shape);  // row-major; throws when a stride overflows

// NumPy broadcasting: align from the right; extents must match or be 1. Throws naming `op`.
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);

// Maps a possibly negative axis into [0, rank); throws naming `op` when out of range.
std::int64_t normalize_axis(std::string_view op, std::int64_t axis, std::int64_t rank);

// Sorted, unique, normalized axes; an empty list means "all axes".
std::vector<std::int64_t> normalize_axes(std::string_view op, std::vector<std::int64_t> axes,
                                         std::int64_t rank);

// Streams as shape_str(shape) without building a string until it is printed.
struct ShapePrinter {
  const Shape& shape;
};
inline std::ostream& operator<<(std::ostream& out, ShapePrinter p) {
  return out << shape_str(p.shape);
}

}  // namespace wengert
