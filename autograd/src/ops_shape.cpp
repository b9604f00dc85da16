// Views and joins. A view's gradient is dy put back into the layout of x: reshape it back, permute
// it back, or write it into a zero tensor at the viewed positions (slice, select). Broadcasting
// views (expand) need nothing: the engine's sum_to undoes them.
#include <numeric>
#include <wengert/autograd/ops.hpp>
#include <wengert/autograd/record.hpp>

#include "rule_ops.hpp"

namespace wengert {

Var reshape(const Var& x, const Shape& shape) {
  return record("reshape", x.value().reshape(shape), {x}, kSaveNone,
                [](auto& c) { c.add(0, reshape(c.dout, c.in_shape(0))); });
}

Var flatten(const Var& x) { return reshape(x, {-1}); }

Var permute(const Var& x, const std::vector<std::int64_t>& order) {
  std::vector<std::int64_t> inverse(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    inverse[normalize_axis("permute", order[i], x.dim())] = static_cast<std::int64_t>(i);
  return record("permute", x.value().permute(order), {x}, kSaveNone,
                [inverse](auto& c) { c.add(0, permute(c.dout, inverse)); });
}

Var transpose(const Var& x, std::int64_t a, std::int64_t b) {
  std::vector<std::int64_t> order(x.dim());
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[normalize_axis("transpose", a, x.dim())],
            order[normalize_axis("transpose", b, x.dim())]);
  return permute(x, order);
}

Var slice(const Var& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
          std::int64_t step) {
  struct Range {
    std::int64_t axis, start, stop, step;
  };
  return record("slice", x.value().slice(axis, start, stop, step), {x}, kSaveNone,
                [r = Range{axis, start, stop, step}](auto& c) {
                  c.add(0, slice_scatter(c.dout, c.in_shape(0), r.axis, r.start, r.stop, r.step));
                });
}

Var narrow(const Var& x, std::int64_t axis, std::int64_t start, std::int64_t length) {
  const std::int64_t extent = x.size(axis);
  if (start < 0) start += extent;
  if (!(start >= 0 && length >= 0 && start + length <= extent))
    fail("narrow: [", start, ", ", start + length, ") is outside axis ", axis, " of ",
         shape_str(x.shape()));
  return slice(x, axis, start, start + length);
}

Var select(const Var& x, std::int64_t axis, std::int64_t index) {
  const std::int64_t ax = normalize_axis("select", axis, x.dim());
  const std::int64_t at = index < 0 ? index + x.size(ax) : index;
  return record(
      "select", x.value().select(axis, index), {x}, kSaveNone, [axis = ax, index = at](auto& c) {
        c.add(0, slice_scatter(unsqueeze(c.dout, axis), c.in_shape(0), axis, index, index + 1));
      });
}

Var slice_scatter(const Var& src, const Shape& shape, std::int64_t axis, std::int64_t start,
                  std::int64_t stop, std::int64_t step) {
  struct Range {
    std::int64_t axis, start, stop, step;
  };
  return record("slice_scatter", slice_scatter(src.value(), shape, axis, start, stop, step), {src},
                kSaveNone, [r = Range{axis, start, stop, step}](auto& c) {
                  c.add(0, slice(c.dout, r.axis, r.start, r.stop, r.step));
                });
}

Var expand(const Var& x, const Shape& shape) {
  return record("expand", x.value().expand(shape), {x}, kSaveNone,
                [](auto& c) { c.add(0, c.dout); });  // add() sums back to x's shape
}

Var squeeze(const Var& x, std::int64_t axis) { return reshape(x, x.value().squeeze(axis).shape()); }
Var unsqueeze(const Var& x, std::int64_t axis) {
  return reshape(x, x.value().unsqueeze(axis).shape());
}

namespace {
// x * mask over the last two axes, mask[i, j] = [j - i <= diagonal] (lower) or [>= diagonal].
Var triangle(const char* op, const Var& x, std::int64_t diagonal, bool lower) {
  if (x.dim() < 2) fail(op, ": needs at least 2 axes, got ", shape_str(x.shape()));
  const std::int64_t rows = x.size(-2), cols = x.size(-1);
  std::vector<double> mask(static_cast<std::size_t>(rows * cols));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j)
      mask[static_cast<std::size_t>(i * cols + j)] = lower ? j - i <= diagonal : j - i >= diagonal;
  return x * from_vector<double>(std::move(mask), {rows, cols}).to(x.dtype());
}
}  // namespace

Var tril(const Var& x, std::int64_t diagonal) { return triangle("tril", x, diagonal, true); }
Var triu(const Var& x, std::int64_t diagonal) { return triangle("triu", x, diagonal, false); }

Var concat(const std::vector<Var>& parts, std::int64_t axis) {
  check(!parts.empty(), "concat: no parts");
  std::vector<Tensor> values;
  values.reserve(parts.size());
  for (const Var& p : parts) values.push_back(p.value());
  Tensor y = concat(values, axis);
  const std::int64_t ax = normalize_axis("concat", axis, y.dim());
  return record("concat", std::move(y), std::span<const Var>(parts), kSaveNone, [ax](auto& c) {
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
      const std::int64_t size = c.in_shape(i)[ax];
      if (c.needs(i)) c.add(i, narrow(c.dout, ax, offset, size));
      offset += size;
    }
  });
}

Var stack(const std::vector<Var>& parts, std::int64_t axis) {
  check(!parts.empty(), "stack: no parts");
  const std::int64_t ax = normalize_axis("stack", axis, parts[0].dim() + 1);
  std::vector<Var> expanded;
  expanded.reserve(parts.size());
  for (const Var& p : parts) expanded.push_back(unsqueeze(p, ax));
  return concat(expanded, ax);
}

std::vector<Var> split(const Var& x, const std::vector<std::int64_t>& sizes, std::int64_t axis) {
  const std::int64_t ax = normalize_axis("split", axis, x.dim());
  const std::int64_t total = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
  if (total != x.size(ax))
    fail("split: sizes add up to ", total, " but axis ", ax, " of ", shape_str(x.shape()), " has ",
         x.size(ax));
  std::vector<Var> pieces;
  pieces.reserve(sizes.size());
  std::int64_t start = 0;
  for (std::int64_t size : sizes) {
    pieces.push_back(slice(x, ax, start, start + size));
    start += size;
  }
  return pieces;
}

std::vector<Var> split(const Var& x, std::int64_t size, std::int64_t axis) {
  check(size > 0, "split: piece size must be positive, got ", size);
  const std::int64_t extent = x.size(axis);
  std::vector<std::int64_t> sizes;
  for (std::int64_t start = 0; start < extent; start += size)
    sizes.push_back(std::min(size, extent - start));
  return split(x, sizes, axis);
}

std::vector<Var> chunk(const Var& x, std::int64_t chunks, std::int64_t axis) {
  check(chunks > 0, "chunk: number of chunks must be positive, got ", chunks);
  const std::int64_t extent = x.size(axis);
  return split(x, std::max<std::int64_t>(1, (extent + chunks - 1) / chunks), axis);
}

}  // namespace wengert
