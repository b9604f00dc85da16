// Creating tensors: constants, ranges, identity, and tensors from C++ values.
#include <cmath>

#include "detail/integer_cast.hpp"
#include "wengert/tensor/tensor.hpp"

namespace wengert {

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor out = Tensor::empty(shape, dtype);
  out.fill_(value);
  return out;
}
Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor arange(double start, double stop, double step, DType dtype) {
  check(step != 0, "arange: step must be non-zero");
  check(std::isfinite(start) && std::isfinite(stop) && std::isfinite(step), "arange: start ", start,
        ", stop ", stop, " and step ", step, " must be finite");
  const double count = std::ceil((stop - start) / step);
  check(count <= 0 || detail::fits_int64(count), "arange: [", start, ", ", stop, ") in steps of ",
        step, " has too many elements");
  const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
  if (dtype == DType::i64 && n > 0)  // the values run monotonically from the first to the last
    check(
        detail::fits_int64(start) && detail::fits_int64(start + static_cast<double>(n - 1) * step),
        "arange: values from ", start, " in steps of ", step, " leave the range of i64");
  Tensor out = Tensor::empty({n}, dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (std::int64_t i = 0; i < n; ++i)
      p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return out;
}

Tensor arange(std::int64_t n, DType dtype) {
  return arange(0.0, static_cast<double>(n), 1.0, dtype);
}

Tensor eye(std::int64_t n, DType dtype) {
  check(n >= 0, "eye: size must be non-negative, got ", n);
  Tensor out = zeros({n, n}, dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i * n + i] = T(1);
  });
  return out;
}

template <class T>
Tensor from_vector(std::vector<T> values, Shape shape) {
  if (shape.empty()) shape = {static_cast<std::int64_t>(values.size())};  // default: 1-d
  check(numel_of(shape) == static_cast<std::int64_t>(values.size()), "from_vector: ", values.size(),
        " values do not fill shape ", ShapePrinter{shape});
  Tensor out = Tensor::empty(shape, dtype_of<T>());
  std::copy(values.begin(), values.end(), out.data<T>());
  return out;
}
template Tensor from_vector<float>(std::vector<float>, Shape);
template Tensor from_vector<double>(std::vector<double>, Shape);
template Tensor from_vector<std::int64_t>(std::vector<std::int64_t>, Shape);

Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return from_vector(std::vector<double>(values), {static_cast<std::int64_t>(values.size())})
      .to(dtype);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype) {
  std::vector<double> values;
  const std::int64_t cols = rows.size() ? static_cast<std::int64_t>(rows.begin()->size()) : 0;
  for (const auto& row : rows) {
    check(static_cast<std::int64_t>(row.size()) == cols, "tensor: ragged rows (", row.size(),
          " vs ", cols, " values)");
    values.insert(values.end(), row.begin(), row.end());
  }
  return from_vector(std::move(values), {static_cast<std::int64_t>(rows.size()), cols}).to(dtype);
}

}  // namespace wengert
