// Naive reference helpers for the tensor tests: a row-major f64 array type, a reader that walks
// a tensor's raw strides (independent of the library's copy / to_vector kernels), random shapes,
// random values and random memory layouts (transposed, sliced with steps, expanded), and the
// broadcasting / ulp arithmetic the tests compare against. Plain loops only, no library kernels.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "wengert/tensor.hpp"

namespace wengert::testing::ref {

using wengert::DType;
using wengert::Shape;
using wengert::Tensor;
using Index = std::vector<std::int64_t>;

// A dense row-major array of doubles: the reference side of every comparison.
struct Array {
  Shape shape;
  std::vector<double> v;
};

inline std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto e : s) n *= e;
  return n;
}

inline Index unravel(std::int64_t flat, const Shape& s) {
  Index idx(s.size(), 0);
  for (std::size_t i = s.size(); i-- > 0;) {
    if (s[i] == 0) return idx;
    idx[i] = flat % s[i];
    flat /= s[i];
  }
  return idx;
}

inline std::int64_t ravel(const Index& idx, const Shape& s) {
  std::int64_t flat = 0;
  for (std::size_t i = 0; i < s.size(); ++i) flat = flat * s[i] + idx[i];
  return flat;
}

// Reads every element through data<T>() + sum(index * stride): only the metadata is trusted.
inline Array read(const Tensor& t) {
  Array a{t.shape(), {}};
  const std::int64_t n = numel(t.shape());
  a.v.reserve(static_cast<std::size_t>(n));
  wengert::visit_dtype(t.dtype(), [&]<class T>() {
    const T* base = t.data<T>();
    for (std::int64_t flat = 0; flat < n; ++flat) {
      const Index idx = unravel(flat, t.shape());
      std::int64_t off = 0;
      for (std::size_t i = 0; i < idx.size(); ++i) off += idx[i] * t.strides()[i];
      a.v.push_back(static_cast<double>(base[off]));
    }
  });
  return a;
}

// A contiguous tensor holding `values` (converted to dtype).
inline Tensor make(const Shape& shape, const std::vector<double>& values, DType dtype) {
  Shape s = shape;
  if (s.empty()) {
    Tensor t = wengert::scalar(values.at(0), dtype);
    return t;
  }
  switch (dtype) {
    case DType::f32:
      return wengert::from_vector(std::vector<float>(values.begin(), values.end()), s);
    case DType::f64:
      return wengert::from_vector(std::vector<double>(values), s);
    case DType::i64: {
      std::vector<std::int64_t> iv;
      for (double x : values) iv.push_back(static_cast<std::int64_t>(x));
      return wengert::from_vector(std::move(iv), s);
    }
  }
  return {};
}

inline Tensor make(const Array& a, DType dtype) { return make(a.shape, a.v, dtype); }

// What random values look like: reals, whole numbers (ties are common), or reals kept away from
// zero (|x| >= 0.5, for divisors).
enum class Values { Real, Integer, NonZero };

// Random values in [lo, hi) (integers in [lo, hi] for i64 or Values::Integer).
inline std::vector<double> random_values(std::mt19937& rng, std::int64_t n, DType dtype,
                                         double lo = -2.0, double hi = 2.0,
                                         Values kind = Values::Real) {
  std::vector<double> v(static_cast<std::size_t>(n));
  if (dtype == DType::i64 || kind == Values::Integer) {
    const auto ilo = static_cast<int>(std::ceil(lo)), ihi = static_cast<int>(std::floor(hi));
    std::uniform_int_distribution<int> dist(ilo, ihi);
    for (auto& x : v) x = dist(rng);
  } else {
    std::uniform_real_distribution<double> dist(lo, hi);
    for (auto& x : v) x = dist(rng);
  }
  if (kind == Values::NonZero)
    for (auto& x : v)
      if (std::abs(x) < 0.5) x = x < 0 ? -0.5 + x : 0.5 + x;
  return v;
}

// A random shape of the given rank with extents in [1, max_extent].
inline Shape random_shape(std::mt19937& rng, int rank, int max_extent = 5) {
  std::uniform_int_distribution<int> dist(1, max_extent);
  Shape s(static_cast<std::size_t>(rank));
  for (auto& e : s) e = dist(rng);
  return s;
}

// A shape that broadcasts to `out`: some leading axes dropped, some extents replaced by 1.
inline Shape broadcastable_to(std::mt19937& rng, const Shape& out) {
  std::uniform_int_distribution<int> coin(0, 2);
  std::uniform_int_distribution<std::size_t> drop(0, out.size());
  const std::size_t skip = coin(rng) == 0 ? drop(rng) : 0;
  Shape s(out.begin() + static_cast<std::ptrdiff_t>(skip), out.end());
  for (auto& e : s)
    if (coin(rng) == 0) e = 1;
  return s;
}

enum class Layout { Contiguous, Transposed, Strided, Expanded, StridedTransposed };
inline constexpr wengert::EnumName<Layout> kLayoutNames[] = {
    {Layout::Contiguous, "contiguous"},
    {Layout::Transposed, "transposed"},
    {Layout::Strided, "strided"},
    {Layout::Expanded, "expanded"},
    {Layout::StridedTransposed, "strided+transposed"}};
inline std::string_view layout_name(Layout l) { return wengert::enum_name(kLayoutNames, l); }
constexpr Layout kLayouts[] = {Layout::Contiguous, Layout::Transposed, Layout::Strided,
                               Layout::Expanded, Layout::StridedTransposed};

// A tensor of `shape` with random values, laid out in memory per `layout`:
//   Transposed: storage holds the axes in reverse order, the result is a permute() view.
//   Strided: storage is about twice as large on every axis, the result a slice(.., step 2) view.
//   Expanded: some axes have extent 1 in storage and stride 0 in the result.
inline Tensor random_tensor(std::mt19937& rng, const Shape& shape, DType dtype, Layout layout,
                            double lo = -2.0, double hi = 2.0, Values kind = Values::Real) {
  const int rank = static_cast<int>(shape.size());
  auto fresh = [&](const Shape& s) {
    return make(s, random_values(rng, numel(s), dtype, lo, hi, kind), dtype);
  };
  switch (layout) {
    case Layout::Contiguous:
      return fresh(shape);
    case Layout::Transposed: {
      if (rank < 2) return fresh(shape);
      Shape rev(shape.rbegin(), shape.rend());
      Index order(shape.size());
      for (int i = 0; i < rank; ++i) order[static_cast<std::size_t>(i)] = rank - 1 - i;
      return fresh(rev).permute(order);
    }
    case Layout::Strided: {
      if (rank == 0) return fresh(shape);
      Shape big = shape;
      for (auto& e : big) e = 2 * e + 1;
      Tensor t = fresh(big);
      for (int i = 0; i < rank; ++i)
        t = t.slice(i, 1, 1 + 2 * shape[static_cast<std::size_t>(i)], 2);
      return t;
    }
    case Layout::Expanded: {
      if (rank == 0) return fresh(shape);
      Shape small = shape;
      std::uniform_int_distribution<int> coin(0, 1);
      bool any = false;
      for (auto& e : small)
        if (coin(rng) == 1) e = 1, any = true;
      if (!any) small[0] = 1;
      return fresh(small).expand(shape);
    }
    case Layout::StridedTransposed: {
      if (rank < 2) return random_tensor(rng, shape, dtype, Layout::Strided, lo, hi, kind);
      Shape swapped = shape;
      std::swap(swapped[0], swapped[static_cast<std::size_t>(rank - 1)]);
      return random_tensor(rng, swapped, dtype, Layout::Strided, lo, hi, kind)
          .transpose(0, rank - 1);
    }
  }
  return {};
}

// NumPy broadcast of two shapes, written independently of the library.
inline Shape broadcast(const Shape& a, const Shape& b) {
  const std::size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (std::size_t i = 0; i < r; ++i) {
    const std::int64_t ea = i + a.size() >= r ? a[i + a.size() - r] : 1;
    const std::int64_t eb = i + b.size() >= r ? b[i + b.size() - r] : 1;
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

// The flat index into `a` (shape `s`) of the element that broadcasts to out-index `idx`.
inline std::int64_t broadcast_source(const Index& idx, const Shape& s) {
  const std::size_t lead = idx.size() - s.size();
  std::int64_t flat = 0;
  for (std::size_t i = 0; i < s.size(); ++i) flat = flat * s[i] + (s[i] == 1 ? 0 : idx[lead + i]);
  return flat;
}

template <class F>
Array binary(const Array& a, const Array& b, F f) {
  Array out{broadcast(a.shape, b.shape), {}};
  const std::int64_t n = numel(out.shape);
  for (std::int64_t flat = 0; flat < n; ++flat) {
    const Index idx = unravel(flat, out.shape);
    out.v.push_back(f(a.v[static_cast<std::size_t>(broadcast_source(idx, a.shape))],
                      b.v[static_cast<std::size_t>(broadcast_source(idx, b.shape))]));
  }
  return out;
}

template <class F>
Array unary(const Array& a, F f) {
  Array out{a.shape, {}};
  for (double x : a.v) out.v.push_back(f(x));
  return out;
}

// Rounds every value as the library's dtype would store it.
inline Array round_to(Array a, DType dtype) {
  for (auto& x : a.v) {
    if (dtype == DType::f32) x = static_cast<double>(static_cast<float>(x));
    if (dtype == DType::i64) x = static_cast<double>(static_cast<std::int64_t>(x));
  }
  return a;
}

// Largest |got - want| / (atol + rtol * |want|) style check; returns a description of the first
// mismatch, or "" when all values agree (NaN matches NaN, inf matches the same inf).
inline std::string mismatch(const Array& got, const Array& want, double rtol, double atol) {
  if (got.shape != want.shape)
    return "shape " + wengert::shape_str(got.shape) + " vs expected " +
           wengert::shape_str(want.shape);
  for (std::size_t i = 0; i < want.v.size(); ++i) {
    const double g = got.v[i], w = want.v[i];
    if (std::isnan(w) && std::isnan(g)) continue;
    if (std::isinf(w) && g == w) continue;
    if (!(std::abs(g - w) <= atol + rtol * std::abs(w)))
      return "at flat index " + std::to_string(i) + ": got " + std::to_string(g) + ", expected " +
             std::to_string(w);
  }
  return "";
}

inline double rtol_for(DType d) { return d == DType::f32 ? 2e-6 : d == DType::f64 ? 1e-13 : 0.0; }

// Distance in units in the last place; +0 and -0 coincide, NaN vs NaN is 0, NaN vs number huge.
template <class T>
std::uint64_t ulp_distance(T a, T b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<std::uint64_t>::max();
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  using S = std::conditional_t<sizeof(T) == 4, std::int64_t, __int128>;
  auto ordered = [](T x) -> S {
    const U bits = std::bit_cast<U>(x);
    const U sign = U(1) << (sizeof(T) * 8 - 1);
    return (bits & sign) ? -static_cast<S>(bits & ~sign) : static_cast<S>(bits);
  };
  const S d = ordered(a) - ordered(b);
  return static_cast<std::uint64_t>(d < 0 ? -d : d);
}

}  // namespace wengert::testing::ref

// The tests write ref::read, ref::make, ...: the reference side of each comparison.
namespace ref = wengert::testing::ref;
