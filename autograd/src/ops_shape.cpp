// Views and joins. A view's gradient is dy put back into the layout of x: reshape it back, permute
// it back, or write it into a zero tensor at the viewed positions (slice, select). Broadcasting
// views (expand) need nothing: the engine's sum_to undoes them.
#include <numeric>
#include <wengert/autograd/node.hpp>
#include <wengert/autograd/ops.hpp>

namespace wengert {

Var reshape(const Var& x, const Shape& shape) {
  return record("reshape", x.value().reshape(shape), {x}, kSaveNone,
                [](BackwardCtx& c) { c.add(0, c.dout.reshape(c.in_shape(0))); });
}

Var flatten(const Var& x) { return reshape(x, {-1}); }

Var permute(const Var& x, const std::vector<std::int64_t>& order) {
  std::vector<std::int64_t> inverse(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    inverse[normalize_axis("permute", order[i], x.dim())] = static_cast<std::int64_t>(i);
  return record("permute", x.value().permute(order), {x}, kSaveNone,
                [inverse](BackwardCtx& c) { c.add(0, c.dout.permute(inverse)); });
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
                [r = Range{axis, start, stop, step}](BackwardCtx& c) {
                  Tensor dx = zeros(c.in_shape(0), c.dout.dtype());
                  dx.slice(r.axis, r.start, r.stop, r.step).copy_(c.dout);
                  c.add(0, std::move(dx));
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
  return record("select", x.value().select(axis, index), {x}, kSaveNone,
                [axis, index](BackwardCtx& c) {
                  Tensor dx = zeros(c.in_shape(0), c.dout.dtype());
                  dx.select(axis, index).copy_(c.dout);
                  c.add(0, std::move(dx));
                });
}

Var expand(const Var& x, const Shape& shape) {
  return record("expand", x.value().expand(shape), {x}, kSaveNone,
                [](BackwardCtx& c) { c.add(0, c.dout); });  // add() sums back to x's shape
}

Var squeeze(const Var& x, std::int64_t axis) { return reshape(x, x.value().squeeze(axis).shape()); }
Var unsqueeze(const Var& x, std::int64_t axis) {
  return reshape(x, x.value().unsqueeze(axis).shape());
}

Var concat(const std::vector<Var>& parts, std::int64_t axis) {
  check(!parts.empty(), "concat: no parts");
  std::vector<Tensor> values;
  values.reserve(parts.size());
  for (const Var& p : parts) values.push_back(p.value());
  Tensor y = concat(values, axis);
  const std::int64_t ax = normalize_axis("concat", axis, y.dim());
  return record("concat", std::move(y), std::span<const Var>(parts), kSaveNone,
                [ax](BackwardCtx& c) {
                  std::int64_t offset = 0;
                  for (std::size_t i = 0; i < c.num_inputs(); ++i) {
                    const std::int64_t size = c.in_shape(i)[ax];
                    if (c.needs(i)) c.add(i, c.dout.narrow(ax, offset, size));
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
