// Tensor metadata and views. A view is a new (shape, strides, offset) over the same storage;
// only contiguous(), clone(), to() and a reshape that strides cannot express ever copy.
#include "wengert/tensor/tensor.hpp"

#include <algorithm>
#include <numeric>

#include "detail/integer_cast.hpp"
#include "detail/strided_loop.hpp"
#include "wengert/tensor/elementwise.hpp"

namespace wengert {

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, std::int64_t offset,
               DType dtype)
    : storage_(std::move(storage)),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(dtype) {}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  for (auto extent : shape)
    check(extent >= 0, "empty: negative extent in shape ", ShapePrinter{shape});
  const std::int64_t bytes = checked_size_mul("empty", shape, numel_of(shape),
                                              static_cast<std::int64_t>(dtype_size(dtype)));
  std::shared_ptr<Storage> storage;
  try {
    storage = std::make_shared<Storage>(static_cast<std::size_t>(bytes));
  } catch (const std::bad_alloc&) {
    fail("empty: cannot allocate ", bytes, " bytes for a tensor of shape ", ShapePrinter{shape},
         ": larger than the available memory");
  }
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

std::int64_t Tensor::size(std::int64_t axis) const {
  return shape_[normalize_axis("size", axis, dim())];
}

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;  // (and the products below could overflow)
  std::int64_t expected = 1;
  for (std::size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

// Elements [first, last] of the storage that a tensor's elements lie within (numel() > 0).
static std::pair<std::int64_t, std::int64_t> element_span(const Tensor& t) {
  std::int64_t first = t.offset(), last = t.offset();
  for (std::size_t i = 0; i < t.shape().size(); ++i) {
    const std::int64_t reach = (t.shape()[i] - 1) * t.strides()[i];
    (reach < 0 ? first : last) += reach;
  }
  return {first, last};
}

bool Tensor::overlaps(const Tensor& other) const {
  if (!defined() || !other.defined() || storage_ != other.storage_ || numel() == 0 ||
      other.numel() == 0)
    return false;
  // One storage can be viewed with another dtype only through a copy, so the spans compare in
  // elements of one size; they are byte spans when the dtypes differ.
  auto [a_first, a_last] = element_span(*this);
  auto [b_first, b_last] = element_span(other);
  const auto a_size = static_cast<std::int64_t>(dtype_size(dtype_));
  const auto b_size = static_cast<std::int64_t>(dtype_size(other.dtype_));
  return a_first * a_size <= (b_last + 1) * b_size - 1 &&
         b_first * b_size <= (a_last + 1) * a_size - 1;
}

bool Tensor::has_internal_overlap() const {
  for (std::size_t i = 0; i < shape_.size(); ++i)
    if (shape_[i] > 1 && strides_[i] == 0) return true;
  return false;
}

void check_writable(std::string_view op, const Tensor& out) {
  check(out.defined(), op, ": the tensor written into is undefined");
  check(!out.has_internal_overlap(), op,
        ": cannot write into a tensor whose elements share memory (", ShapePrinter{out.shape()},
        " with strides ", ShapePrinter{out.strides()},
        ", an expanded view); write into a contiguous copy (.contiguous()) instead");
}

Tensor Tensor::source_for_write(const Tensor& src) const {
  const Tensor from = src.expand(shape_);
  const bool same_layout = from.offset_ == offset_ && from.strides_ == strides_;
  return overlaps(from) && !same_layout ? src.clone().expand(shape_) : from;
}

double Tensor::item() const {
  check(defined() && numel() == 1, "item: needs a tensor with exactly one element, got shape ",
        ShapePrinter{shape_});
  return at(std::vector<std::int64_t>(shape_.size(), 0));
}

std::int64_t Tensor::element_offset(const std::vector<std::int64_t>& index) const {
  check(static_cast<std::int64_t>(index.size()) == dim(), "at: ", index.size(),
        " indices for a tensor of shape ", ShapePrinter{shape_});
  std::int64_t offset = offset_;
  for (std::size_t i = 0; i < index.size(); ++i) {
    check(index[i] >= 0 && index[i] < shape_[i], "at: index ", index[i], " out of range for axis ",
          i, " of shape ", ShapePrinter{shape_});
    offset += index[i] * strides_[i];
  }
  return offset;
}

double Tensor::at(const std::vector<std::int64_t>& index) const {
  const std::int64_t offset = element_offset(index);
  return visit_dtype(dtype_, [&]<class T>() {
    return static_cast<double>(static_cast<const T*>(storage_->data())[offset]);
  });
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out;
  if (!defined()) return out;
  out.reserve(numel());
  const Tensor c = contiguous();
  visit_dtype(dtype_, [&]<class S>() {
    const S* p = c.data<S>();
    for (std::int64_t i = 0; i < c.numel(); ++i) {
      if constexpr (std::is_integral_v<T> && !std::is_integral_v<S>)
        check(detail::fits_int64(static_cast<double>(p[i])), "to_vector: the ", dtype_name(dtype_),
              " value ", p[i], " at ", i, " does not fit int64");
      out.push_back(static_cast<T>(p[i]));
    }
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

// Replaces one -1 by the extent that keeps numel; checks the product.
static Shape infer_shape(std::string_view op, Shape shape, std::int64_t numel, const Shape& from) {
  std::int64_t known = 1, unknown = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(unknown < 0, op, ": more than one -1 in ", ShapePrinter{shape});
      unknown = static_cast<std::int64_t>(i);
    } else {
      check(shape[i] >= 0, op, ": negative extent in ", ShapePrinter{shape});
      known = checked_size_mul(op, shape, known, shape[i]);
    }
  }
  if (unknown >= 0) {
    check(known != 0 && numel % known == 0, op, ": cannot reshape ", ShapePrinter{from}, " to ",
          ShapePrinter{shape});
    shape[unknown] = numel / known;
  }
  check(numel_of(shape) == numel, op, ": cannot reshape ", ShapePrinter{from}, " (", numel,
        " elements) to ", ShapePrinter{shape});
  return shape;
}

// Strides for viewing (shape_, strides_) as `target` without a copy, or empty if impossible.
// Walks both shapes in chunks of equal element count; each old chunk must be contiguous within
// itself (as in PyTorch's computeStride).
static bool view_strides(const Shape& shape, const Strides& strides, const Shape& target,
                         Strides& out) {
  out.assign(target.size(), 0);
  if (numel_of(shape) == 0 || shape.empty()) {  // nothing to preserve: any layout is a view
    out = contiguous_strides(target);
    return true;
  }
  std::int64_t view_d = static_cast<std::int64_t>(target.size()) - 1;
  std::int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t d = static_cast<std::int64_t>(shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || target[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= target[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

Tensor Tensor::view(const Shape& shape) const {
  const Shape target = infer_shape("view", shape, numel(), shape_);
  Strides strides;
  check(view_strides(shape_, strides_, target, strides), "view: cannot view shape ",
        ShapePrinter{shape_}, " with strides ", ShapePrinter{strides_}, " as ",
        ShapePrinter{target}, " without a copy; use reshape()");
  return Tensor(storage_, target, strides, offset_, dtype_);
}

bool Tensor::can_view(const Shape& shape) const {
  // The element count without throwing: a count past int64 cannot be this tensor's.
  bool empty = false, overflow = false;
  std::int64_t count = 1;
  for (const std::int64_t size : shape) {
    if (size < 0) return false;
    empty = empty || size == 0;
    overflow = overflow || __builtin_mul_overflow(count, size, &count);
  }
  if (empty) count = 0;
  Strides strides;
  return (empty || !overflow) && count == numel() && view_strides(shape_, strides_, shape, strides);
}

Tensor Tensor::reshape(const Shape& shape) const {
  const Shape target = infer_shape("reshape", shape, numel(), shape_);
  Strides strides;
  if (view_strides(shape_, strides_, target, strides))
    return Tensor(storage_, target, strides, offset_, dtype_);
  return contiguous().view(target);
}

Tensor Tensor::permute(const std::vector<std::int64_t>& order) const {
  check(static_cast<std::int64_t>(order.size()) == dim(), "permute: order has ", order.size(),
        " axes for a tensor of shape ", ShapePrinter{shape_});
  Shape shape(order.size());
  Strides strides(order.size());
  std::vector<bool> seen(order.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::int64_t axis = normalize_axis("permute", order[i], dim());
    check(!seen[axis], "permute: axis ", axis, " repeated in the order");
    seen[axis] = true;
    shape[i] = shape_[axis];
    strides[i] = strides_[axis];
  }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const {
  a = normalize_axis("transpose", a, dim());
  b = normalize_axis("transpose", b, dim());
  Shape shape = shape_;
  Strides strides = strides_;
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::t() const {
  check(dim() == 2, "t: needs a 2-d tensor, got shape ", ShapePrinter{shape_});
  return transpose(0, 1);
}

Tensor Tensor::slice(std::int64_t axis, std::int64_t start, std::int64_t stop,
                     std::int64_t step) const {
  axis = normalize_axis("slice", axis, dim());
  check(step > 0, "slice: step must be positive, got ", step);
  const std::int64_t extent = shape_[axis];
  // Python semantics: negative bounds count from the end, out-of-range bounds are clamped.
  auto clamp_bound = [extent](std::int64_t i) {
    if (i < 0) i += extent;
    return std::clamp<std::int64_t>(i, 0, extent);
  };
  start = clamp_bound(start);
  stop = std::max(clamp_bound(stop), start);
  Shape shape = shape_;
  Strides strides = strides_;
  // ceil((stop - start) / step), written so that no step, however large, overflows.
  shape[axis] = stop == start ? 0 : (stop - start - 1) / step + 1;
  // With two or more elements step < extent, so the new stride stays within the storage's span.
  if (shape[axis] > 1) strides[axis] = strides_[axis] * step;
  return Tensor(storage_, shape, strides, offset_ + start * strides_[axis], dtype_);
}

Tensor Tensor::narrow(std::int64_t axis, std::int64_t start, std::int64_t length) const {
  axis = normalize_axis("narrow", axis, dim());
  // (length <= extent - start rather than start + length <= extent: the sum could overflow)
  check(start >= 0 && length >= 0 && start <= shape_[axis] && length <= shape_[axis] - start,
        "narrow: ", length, " elements from ", start, " are out of bounds for axis ", axis,
        " of shape ", ShapePrinter{shape_});
  return slice(axis, start, start + length);
}

Tensor Tensor::select(std::int64_t axis, std::int64_t index) const {
  axis = normalize_axis("select", axis, dim());
  const std::int64_t extent = shape_[axis];
  check(index >= -extent && index < extent, "select: index ", index, " out of range for axis ",
        axis, " of shape ", ShapePrinter{shape_});
  if (index < 0) index += extent;
  Shape shape = shape_;
  Strides strides = strides_;
  shape.erase(shape.begin() + axis);
  strides.erase(strides.begin() + axis);
  return Tensor(storage_, shape, strides, offset_ + index * strides_[axis], dtype_);
}

Tensor Tensor::expand(const Shape& shape) const {
  check(shape.size() >= shape_.size(), "expand: cannot expand shape ", ShapePrinter{shape_}, " to ",
        ShapePrinter{shape}, " of lower rank");
  const std::size_t lead = shape.size() - shape_.size();
  Shape out_shape = shape;
  Strides strides(shape.size(), 0);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      check(shape[i] >= 0, "expand: negative extent in ", ShapePrinter{shape});
      continue;  // new leading axes have stride 0
    }
    const std::int64_t from = shape_[i - lead];
    const std::int64_t to = shape[i] == -1 ? from : shape[i];
    check(to >= 0, "expand: negative extent in ", ShapePrinter{shape});
    out_shape[i] = to;
    if (from == to) {
      strides[i] = strides_[i - lead];
    } else {
      check(from == 1, "expand: cannot expand shape ", ShapePrinter{shape_}, " to ",
            ShapePrinter{shape});
    }
  }
  return Tensor(storage_, out_shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze() const {
  Shape shape;
  Strides strides;
  for (std::size_t i = 0; i < shape_.size(); ++i) {
    if (shape_[i] == 1) continue;
    shape.push_back(shape_[i]);
    strides.push_back(strides_[i]);
  }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze(std::int64_t axis) const {
  axis = normalize_axis("squeeze", axis, dim());
  if (shape_[axis] != 1) return *this;
  return select(axis, 0);
}

Tensor Tensor::unsqueeze(std::int64_t axis) const {
  axis = normalize_axis("unsqueeze", axis, dim() + 1);
  Shape shape = shape_;
  Strides strides = strides_;
  const std::int64_t stride =
      axis < dim() ? strides_[axis] * shape_[axis] : 1;  // any value works for extent 1
  shape.insert(shape.begin() + axis, 1);
  strides.insert(strides.begin() + axis, stride);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::contiguous() const {
  check(defined(), "contiguous: tensor is undefined");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  check(defined(), "clone: tensor is undefined");
  Tensor out = empty(shape_, dtype_);
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype);
  out.copy_(*this);
  return out;
}

Tensor& Tensor::copy_(const Tensor& src) {
  check(defined() && src.defined(), "copy_: tensor is undefined");
  if (broadcast_shapes("copy_", src.shape_, shape_) != shape_)
    fail("copy_: cannot copy shape ", shape_str(src.shape_), " into ", shape_str(shape_));
  check_writable("copy_", *this);
  const Tensor from = source_for_write(src);
  visit_dtype(dtype_, [&]<class D>() {
    visit_dtype(src.dtype_, [&]<class S>() {
      D* dst = static_cast<D*>(storage_->data());
      const S* s = static_cast<const S*>(from.storage_->data());
      if constexpr (std::is_integral_v<D> && !std::is_integral_v<S>) {
        // Every value must fit before any is written (on one thread: the check may throw).
        detail::for_each_row<1>(
            from.shape_, {&from.strides_}, {from.offset_},
            [&](auto o, std::int64_t n, auto step) {
              for (std::int64_t i = 0; i < n; ++i) {
                const S v = s[o[0] + i * step[0]];
                check(detail::fits_int64(static_cast<double>(v)), "copy_: the ",
                      dtype_name(src.dtype_), " value ", v, " does not fit ", dtype_name(dtype_),
                      " (a conversion to an integer needs a finite value in [-2^63, 2^63))");
              }
            },
            /*independent=*/false);
      }
      detail::for_each_row<2>(shape_, {&strides_, &from.strides_}, {offset_, from.offset_},
                              [&](auto o, std::int64_t n, auto step) {
                                for (std::int64_t i = 0; i < n; ++i)
                                  dst[o[0] + i * step[0]] = static_cast<D>(s[o[1] + i * step[1]]);
                              });
    });
  });
  bump_version();
  return *this;
}

Tensor& Tensor::fill_(double value) {
  check(defined(), "fill_: tensor is undefined");
  visit_dtype(dtype_, [&]<class T>() {
    if constexpr (std::is_integral_v<T>)
      check(detail::fits_int64(value), "fill_: the value ", value, " does not fit ",
            dtype_name(dtype_), " (it needs a finite value in [-2^63, 2^63))");
    T* dst = static_cast<T*>(storage_->data());
    const T v = static_cast<T>(value);
    detail::for_each_row<1>(shape_, {&strides_}, {offset_}, [&](auto o, std::int64_t n, auto step) {
      for (std::int64_t i = 0; i < n; ++i) dst[o[0] + i * step[0]] = v;
    });
  });
  bump_version();
  return *this;
}

// In-place arithmetic: compute out of place, then copy back (the result's shape must be ours).
static Tensor& assign_result(Tensor& self, const Tensor& result, std::string_view op) {
  check(result.shape() == self.shape(), op, ": result shape ", ShapePrinter{result.shape()},
        " does not match the destination ", ShapePrinter{self.shape()});
  check_writable(op, self);
  return self.copy_(result);
}

Tensor& Tensor::add_(const Tensor& other) {
  return assign_result(*this, add(*this, other), "add_");
}
Tensor& Tensor::sub_(const Tensor& other) {
  return assign_result(*this, sub(*this, other), "sub_");
}
Tensor& Tensor::mul_(const Tensor& other) {
  return assign_result(*this, mul(*this, other), "mul_");
}
Tensor& Tensor::div_(const Tensor& other) {
  return assign_result(*this, div(*this, other), "div_");
}
Tensor& Tensor::add_(double value) { return add_(scalar(value, dtype_)); }
Tensor& Tensor::mul_(double value) { return mul_(scalar(value, dtype_)); }
Tensor& Tensor::clamp_(double lo, double hi) {
  return assign_result(*this, clamp(*this, lo, hi), "clamp_");
}

Tensor& Tensor::add_scaled_(const Tensor& other, double alpha) {
  check(other.dtype() == dtype_, "add_scaled_: dtype mismatch: ", dtype_name(dtype_), " vs ",
        dtype_name(other.dtype()));
  check_writable("add_scaled_", *this);
  const Tensor from = source_for_write(other);
  visit_dtype(dtype_, [&]<class T>() {
    T* dst = static_cast<T*>(storage_->data());
    const T* src = static_cast<const T*>(from.storage_->data());
    const T a = static_cast<T>(alpha);
    detail::for_each_row<2>(shape_, {&strides_, &from.strides_}, {offset_, from.offset_},
                            [&](auto o, std::int64_t n, auto step) {
                              for (std::int64_t i = 0; i < n; ++i)
                                dst[o[0] + i * step[0]] += a * src[o[1] + i * step[1]];
                            });
  });
  bump_version();
  return *this;
}

}  // namespace wengert
