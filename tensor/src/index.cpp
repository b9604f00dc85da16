// Indexing and joining. index_select / gather read through an i64 index; their adjoints
// index_add / scatter_add accumulate into zeros, which is how an embedding's gradient scatters.
#include "wengert/tensor/index.hpp"

#include <algorithm>
#include <numeric>
#include <type_traits>

#include "detail/around_axis.hpp"
#include "wengert/tensor/simd.hpp"

namespace wengert {

using detail::around_axis;
using detail::AroundAxis;

namespace {

void check_index_tensor(std::string_view op, const Tensor& index) {
  check(index.defined(), op, ": index is an undefined tensor");
  check(index.dtype() == DType::i64, op, ": index must be i64, got ", dtype_name(index.dtype()),
        " ", ShapePrinter{index.shape()});
}

std::vector<std::int64_t> checked_indices(std::string_view op, const Tensor& index,
                                          std::int64_t extent, const Shape& shape,
                                          std::int64_t axis) {
  std::vector<std::int64_t> ids = index.to_vector<std::int64_t>();
  for (auto& id : ids) {
    if (id < -extent || id >= extent)
      fail(op, ": index ", id, " is out of range for axis ", axis, " of shape ", shape_str(shape));
    if (id < 0) id += extent;
  }
  return ids;
}

}  // namespace

Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index) {
  check(x.defined(), "index_select: operand is an undefined tensor");
  check_index_tensor("index_select", index);
  axis = normalize_axis("index_select", axis, x.dim());
  const AroundAxis a = around_axis(x, axis);
  const auto ids = checked_indices("index_select", index, a.extent, x.shape(), axis);
  Shape shape(x.shape().begin(), x.shape().begin() + axis);
  shape.insert(shape.end(), index.shape().begin(), index.shape().end());
  shape.insert(shape.end(), x.shape().begin() + axis + 1, x.shape().end());
  Tensor out = Tensor::empty(shape, x.dtype());
  const std::int64_t count = static_cast<std::int64_t>(ids.size());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = a.data.data<T>();
    T* po = out.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t j = 0; j < count; ++j)
        std::copy_n(px + (o * a.extent + ids[j]) * a.inner, a.inner,
                    po + (o * count + j) * a.inner);
  });
  return out;
}

Tensor index_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Tensor& src) {
  check_index_tensor("index_add", index);
  axis = normalize_axis("index_add", axis, static_cast<std::int64_t>(shape.size()));
  Shape expected(shape.begin(), shape.begin() + axis);
  expected.insert(expected.end(), index.shape().begin(), index.shape().end());
  expected.insert(expected.end(), shape.begin() + axis + 1, shape.end());
  check(src.shape() == expected, "index_add: source shape ", ShapePrinter{src.shape()},
        " does not match ", ShapePrinter{expected}, " for destination ", ShapePrinter{shape});
  Tensor out = zeros(shape, src.dtype());
  const AroundAxis a = around_axis(out, axis);
  const auto ids = checked_indices("index_add", index, a.extent, shape, axis);
  const Tensor s = src.contiguous();
  const std::int64_t count = static_cast<std::int64_t>(ids.size());
  visit_dtype(src.dtype(), [&]<class T>() {
    T* po = out.data<T>();
    const T* ps = s.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t j = 0; j < count; ++j) {
        T* dst = po + (o * a.extent + ids[j]) * a.inner;
        const T* from = ps + (o * count + j) * a.inner;
        if constexpr (std::is_floating_point_v<T>)
          simd::add_row(a.inner, dst, from, dst);  // the SIMD add: an embedding's gradient
        else
          for (std::int64_t k = 0; k < a.inner; ++k) dst[k] += from[k];
      }
  });
  return out;
}

// gather / scatter_add share the index walk: for every position p of `index` (x's rank),
// the data position is p with coordinate `axis` replaced by index[p].
template <class Visit>
static void walk_gather(std::string_view op, const Shape& data_shape, std::int64_t axis,
                        const Tensor& index, Visit visit) {
  check_index_tensor(op, index);
  check(index.dim() == static_cast<std::int64_t>(data_shape.size()), op, ": index ",
        ShapePrinter{index.shape()}, " must have the rank of ", ShapePrinter{data_shape});
  for (std::int64_t d = 0; d < index.dim(); ++d)
    check(d == axis || index.shape()[d] <= data_shape[d], op, ": index ",
          ShapePrinter{index.shape()}, " is larger than ", ShapePrinter{data_shape}, " on axis ",
          d);
  const auto ids = index.to_vector<std::int64_t>();
  const Strides data_strides = contiguous_strides(data_shape);
  std::vector<std::int64_t> pos(index.dim(), 0);
  for (std::size_t flat = 0; flat < ids.size(); ++flat) {
    std::int64_t id = ids[flat];
    if (id < -data_shape[axis] || id >= data_shape[axis])
      fail(op, ": index ", id, " is out of range for axis ", axis, " of shape ",
           shape_str(data_shape));
    if (id < 0) id += data_shape[axis];
    std::int64_t offset = 0;
    for (std::int64_t d = 0; d < index.dim(); ++d)
      offset += (d == axis ? id : pos[d]) * data_strides[d];
    visit(static_cast<std::int64_t>(flat), offset);
    for (std::int64_t d = index.dim() - 1; d >= 0; --d) {  // odometer over index positions
      if (++pos[d] < index.shape()[d]) break;
      pos[d] = 0;
    }
  }
}

Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index) {
  check(x.defined(), "gather: operand is an undefined tensor");
  axis = normalize_axis("gather", axis, x.dim());
  const Tensor c = x.contiguous();
  Tensor out = Tensor::empty(index.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = c.data<T>();
    T* po = out.data<T>();
    walk_gather("gather", x.shape(), axis, index,
                [&](std::int64_t flat, std::int64_t offset) { po[flat] = px[offset]; });
  });
  return out;
}

Tensor scatter_add(const Shape& shape, std::int64_t axis, const Tensor& index, const Tensor& src) {
  axis = normalize_axis("scatter_add", axis, static_cast<std::int64_t>(shape.size()));
  check(src.shape() == index.shape(), "scatter_add: source ", ShapePrinter{src.shape()},
        " and index ", ShapePrinter{index.shape()}, " differ");
  Tensor out = zeros(shape, src.dtype());
  const Tensor s = src.contiguous();
  visit_dtype(src.dtype(), [&]<class T>() {
    T* po = out.data<T>();
    const T* ps = s.data<T>();
    walk_gather("scatter_add", shape, axis, index,
                [&](std::int64_t flat, std::int64_t offset) { po[offset] += ps[flat]; });
  });
  return out;
}

Tensor one_hot(const Tensor& ids, std::int64_t num_classes, DType dtype) {
  check_index_tensor("one_hot", ids);
  check(num_classes > 0, "one_hot: num_classes must be positive, got ", num_classes);
  Shape shape = ids.shape();
  shape.push_back(num_classes);
  Tensor out = zeros(shape, dtype);
  const auto values = ids.to_vector<std::int64_t>();
  visit_dtype(dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) {
      check(values[i] >= 0 && values[i] < num_classes, "one_hot: id ", values[i],
            " is out of range [0, ", num_classes, ")");
      p[static_cast<std::int64_t>(i) * num_classes + values[i]] = T(1);
    }
  });
  return out;
}

Tensor concat(const std::vector<Tensor>& parts, std::int64_t axis) {
  check(!parts.empty(), "concat: no tensors to join");
  const Tensor& first = parts.front();
  axis = normalize_axis("concat", axis, first.dim());
  Shape shape = first.shape();
  shape[axis] = 0;
  for (const auto& p : parts) {
    check(p.dtype() == first.dtype(), "concat: dtype mismatch: ", dtype_name(first.dtype()), " vs ",
          dtype_name(p.dtype()));
    bool same = p.dim() == first.dim();
    for (std::int64_t d = 0; same && d < p.dim(); ++d)
      same = d == axis || p.shape()[d] == first.shape()[d];
    check(same, "concat: shapes ", ShapePrinter{first.shape()}, " and ", ShapePrinter{p.shape()},
          " differ outside axis ", axis);
    shape[axis] += p.shape()[axis];
  }
  Tensor out = Tensor::empty(shape, first.dtype());
  std::int64_t start = 0;
  for (const auto& p : parts) {
    out.narrow(axis, start, p.shape()[axis]).copy_(p);
    start += p.shape()[axis];
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& parts, std::int64_t axis) {
  check(!parts.empty(), "stack: no tensors to join");
  axis = normalize_axis("stack", axis, parts.front().dim() + 1);
  std::vector<Tensor> expanded;
  for (const auto& p : parts) {
    check(p.dtype() == parts.front().dtype(),
          "stack: dtype mismatch: ", dtype_name(parts.front().dtype()), " vs ",
          dtype_name(p.dtype()));
    check(p.shape() == parts.front().shape(),
          "stack: shapes differ: ", ShapePrinter{parts.front().shape()}, " vs ",
          ShapePrinter{p.shape()});
    expanded.push_back(p.unsqueeze(axis));
  }
  return concat(expanded, axis);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t axis) {
  axis = normalize_axis("split", axis, x.dim());
  std::int64_t total = 0;
  for (auto s : sizes) {
    check(s >= 0, "split: negative piece size ", s);
    total += s;
  }
  check(total == x.shape()[axis], "split: sizes add up to ", total, " but axis ", axis,
        " of shape ", ShapePrinter{x.shape()}, " has ", x.shape()[axis]);
  std::vector<Tensor> pieces;
  std::int64_t start = 0;
  for (auto s : sizes) {
    pieces.push_back(x.narrow(axis, start, s));
    start += s;
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, std::int64_t size, std::int64_t axis) {
  axis = normalize_axis("split", axis, x.dim());
  check(size > 0, "split: piece size must be positive, got ", size);
  std::vector<std::int64_t> sizes;
  for (std::int64_t start = 0; start < x.shape()[axis]; start += size)
    sizes.push_back(std::min(size, x.shape()[axis] - start));
  return split(x, sizes, axis);
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t axis) {
  check(chunks > 0, "chunk: number of chunks must be positive, got ", chunks);
  axis = normalize_axis("chunk", axis, x.dim());
  const std::int64_t size = std::max<std::int64_t>(1, (x.shape()[axis] + chunks - 1) / chunks);
  return split(x, size, axis);
}

}  // namespace wengert
