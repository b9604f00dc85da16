// Tensor: a strided n-d view (shape, strides, offset) onto shared Storage, with a dtype.
// Views (reshape, permute, slice, select, expand, squeeze...) never copy: they only make new
// shape/stride/offset triples over the same storage, ggml-style; a broadcast axis has stride 0.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dtype.hpp"
#include "error.hpp"
#include "shape.hpp"
#include "storage.hpp"

namespace wengert {

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: defined() == false
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, std::int64_t offset,
         DType dtype);

  // A fresh contiguous tensor with uninitialized contents.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);

  // --- metadata ---
  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  std::int64_t offset() const { return offset_; }
  std::int64_t dim() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t size(std::int64_t axis) const;  // negative axes count from the end
  std::int64_t numel() const { return numel_of(shape_); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  std::uint64_t version() const { return storage_ ? storage_->version() : 0; }
  void bump_version() const {
    if (storage_) storage_->bump_version();
  }
  bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }
  // True when an element of this tensor and one of `other` may be the same memory: the same
  // storage and overlapping address ranges (interleaved views that never meet count too).
  bool overlaps(const Tensor& other) const;
  // True when two of this tensor's elements are the same memory (an expanded view: stride 0 on
  // an axis of extent > 1). Writing into such a tensor would keep only one of the values.
  bool has_internal_overlap() const;

  // --- element access ---
  // Pointer to the first element (storage + offset). Throws if T is not the dtype.
  template <class T>
  T* data() const;
  // The value of a one-element tensor, converted to double.
  double item() const;
  // The value at a multi-index (bounds-checked), converted to double; for tests and printing.
  double at(const std::vector<std::int64_t>& index) const;
  // Where that element sits in the storage, in elements (bounds-checked as at()): for reading
  // it exactly in its own dtype (an i64 beyond 2^53 does not survive a double).
  std::int64_t element_offset(const std::vector<std::int64_t>& index) const;
  // All elements in row-major order, converted to T (any dtype to any T).
  template <class T>
  std::vector<T> to_vector() const;

  // --- views: no copy ---
  Tensor view(const Shape& shape) const;     // throws if the strides do not allow it
  bool can_view(const Shape& shape) const;   // whether view(shape) works (explicit sizes, no -1)
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a contiguous copy
  Tensor flatten() const { return reshape({-1}); }
  Tensor permute(const std::vector<std::int64_t>& order) const;
  Tensor transpose(std::int64_t a, std::int64_t b) const;
  Tensor t() const;  // transpose of a 2-d tensor
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t stop,
               std::int64_t step = 1) const;  // Python semantics, step > 0
  Tensor narrow(std::int64_t axis, std::int64_t start, std::int64_t length) const;
  Tensor select(std::int64_t axis, std::int64_t index) const;  // drops the axis
  Tensor operator[](std::int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& shape) const;  // broadcast_to: size-1 axes get stride 0
  Tensor squeeze() const;
  Tensor squeeze(std::int64_t axis) const;
  Tensor unsqueeze(std::int64_t axis) const;

  // --- copies ---
  Tensor contiguous() const;  // *this when already contiguous, else a copy
  Tensor clone() const;       // always a fresh contiguous copy
  Tensor to(DType dtype) const;

  // --- in place (each bumps the storage version) ---
  // A source that overlaps the destination in another layout (x.copy_(x.t()), a shifted view) is
  // read from a copy first, so the result is as if the source were separate. Writing into a
  // tensor with internal overlap throws.
  Tensor& copy_(const Tensor& src);  // src broadcasts to this shape; dtypes may differ
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }
  Tensor& add_(const Tensor& other);
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  Tensor& add_(double value);
  Tensor& mul_(double value);
  Tensor& clamp_(double lo, double hi);
  // this += alpha * other (axpy), the optimizers' workhorse.
  Tensor& add_scaled_(const Tensor& other, double alpha);

 private:
  // The source of an in-place write into *this: `src` broadcast to our shape, from a copy when it
  // overlaps us in another layout (elementwise, only an identical layout reads before it writes).
  Tensor source_for_write(const Tensor& src) const;

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Strides strides_;
  std::int64_t offset_ = 0;
  DType dtype_ = DType::f32;
};

// Throws, naming `op`, unless `out` may be written element by element: defined and without
// internal overlap. For ops and kernels that write into a caller's tensor.
void check_writable(std::string_view op, const Tensor& out);

template <class T>
T* Tensor::data() const {
  check(defined(), "data: tensor is undefined");
  check(dtype_of<T>() == dtype_, "data: tensor has dtype ", dtype_name(dtype_), ", requested ",
        dtype_name(dtype_of<T>()));
  return static_cast<T*>(storage_->data()) + offset_;
}

// --- creation ---
Tensor zeros(const Shape& shape, DType dtype = DType::f32);
Tensor ones(const Shape& shape, DType dtype = DType::f32);
Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor scalar(double value, DType dtype = DType::f32);  // 0-d tensor
Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::f32);
Tensor arange(std::int64_t n, DType dtype = DType::i64);
Tensor eye(std::int64_t n, DType dtype = DType::f32);
// Values in row-major order; an empty shape means 1-d (use scalar() for 0-d); the shape must
// hold exactly values.size() elements.
template <class T>
Tensor from_vector(std::vector<T> values, Shape shape = {});
Tensor tensor(std::initializer_list<double> values, DType dtype = DType::f32);  // 1-d
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows,
              DType dtype = DType::f32);  // 2-d

extern template Tensor from_vector<float>(std::vector<float>, Shape);
extern template Tensor from_vector<double>(std::vector<double>, Shape);
extern template Tensor from_vector<std::int64_t>(std::vector<std::int64_t>, Shape);

}  // namespace wengert
