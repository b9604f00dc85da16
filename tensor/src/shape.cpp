// Shape arithmetic shared by every op: printing, row-major strides, broadcasting, axis checks.
#include "wengert/tensor/shape.hpp"

#include <algorithm>
#include <sstream>

#include "wengert/tensor/error.hpp"

namespace wengert {

std::string shape_str(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

std::int64_t checked_size_mul(std::string_view op, const Shape& shape, std::int64_t a,
                              std::int64_t b) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product))
    fail(op, ": a tensor of shape ", shape_str(shape), " is too large (", a, " * ", b,
         " overflows int64)");
  return product;
}

std::int64_t numel_of(const Shape& shape) {
  std::int64_t n = 1;
  for (auto extent : shape) n = checked_size_mul("numel", shape, n, extent);
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  std::int64_t step = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = step;
    if (i > 0)
      step =
          checked_size_mul("contiguous_strides", shape, step, std::max<std::int64_t>(shape[i], 1));
  }
  return strides;
}

Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    // Align from the right: axis i of the result is axis i - (rank - size) of each operand.
    const std::int64_t ea = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const std::int64_t eb = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      fail(op, ": shapes do not broadcast: ", shape_str(a), " and ", shape_str(b));
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

std::int64_t normalize_axis(std::string_view op, std::int64_t axis, std::int64_t rank) {
  const std::int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    fail(op, ": axis ", axis, " is out of range for a tensor of rank ", rank);
  return normalized;
}

std::vector<std::int64_t> normalize_axes(std::string_view op, std::vector<std::int64_t> axes,
                                         std::int64_t rank) {
  if (axes.empty()) {
    axes.resize(rank);
    for (std::int64_t i = 0; i < rank; ++i) axes[i] = i;
    return axes;
  }
  for (auto& axis : axes) axis = normalize_axis(op, axis, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    fail(op, ": an axis is repeated in the axis list");
  return axes;
}

}  // namespace wengert
