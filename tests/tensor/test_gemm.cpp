// Tests for wengert::gemm (tensor/src/gemm): the packed GEMM, with the dispatched kernel and with
// every other kernel this CPU can run, against gemm_reference and against an independent naive
// loop written here, at awkward sizes (1, primes, register tile +-1, past the
// cache blocks), every operand layout (transposed, column-major, padded leading dimensions,
// general strides), alpha/beta combinations, empty sizes, and 1 vs 2 OpenMP threads.
#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "wengert/tensor/enum_names.hpp"
#include "wengert/tensor/error.hpp"
#include "wengert/tensor/gemm.hpp"

namespace {

// A rows x cols matrix inside a larger buffer, with arbitrary strides (in elements).
enum class Layout { RowMajor, ColMajor, RowMajorPadded, ColMajorPadded, Strided };

template <class T>
struct Matrix {
  int64_t rows = 0, cols = 0, rs = 0, cs = 0;
  std::vector<T> data;

  Matrix(int64_t r, int64_t c, Layout layout) : rows(r), cols(c) {
    switch (layout) {
      case Layout::RowMajor:
        rs = c, cs = 1;
        break;
      case Layout::ColMajor:
        rs = 1, cs = r;
        break;
      case Layout::RowMajorPadded:
        rs = c + 5, cs = 1;
        break;
      case Layout::ColMajorPadded:
        rs = 1, cs = r + 3;
        break;
      case Layout::Strided:
        rs = 2 * c + 1, cs = 2;
        break;  // no unit stride at all
    }
    // Size of the span touched, plus guard elements that must never change.
    const int64_t span = r == 0 || c == 0 ? 0 : (r - 1) * rs + (c - 1) * cs + 1;
    data.assign(static_cast<size_t>(span + 8), T(-777));
  }
  T& operator()(int64_t i, int64_t j) { return data[static_cast<size_t>(i * rs + j * cs)]; }
  T operator()(int64_t i, int64_t j) const { return data[static_cast<size_t>(i * rs + j * cs)]; }
  T* ptr() { return data.data(); }
  const T* ptr() const { return data.data(); }

  void fill_random(std::mt19937& rng) {
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) (*this)(i, j) = T(dist(rng));
  }
  void fill(T value) {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) (*this)(i, j) = value;
  }
};

// The independent check: C = alpha A B + beta C in long double, and the magnitude
// |alpha| |A| |B| + |beta| |C| that bounds the rounding error of any summation order.
template <class T>
void naive_gemm(T alpha, const Matrix<T>& a, const Matrix<T>& b, T beta, const Matrix<T>& c0,
                std::vector<long double>& expected, std::vector<long double>& magnitude) {
  const int64_t m = c0.rows, n = c0.cols, k = a.cols;
  expected.assign(static_cast<size_t>(m * n), 0);
  magnitude.assign(static_cast<size_t>(m * n), 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      long double sum = 0, mag = 0;
      for (int64_t p = 0; p < k; ++p) {
        sum += (long double)a(i, p) * (long double)b(p, j);
        mag += std::fabs((long double)a(i, p) * (long double)b(p, j));
      }
      long double e = (long double)alpha * sum, g = std::fabs((long double)alpha) * mag;
      if (beta != T(0)) {
        e += (long double)beta * (long double)c0(i, j);
        g += std::fabs((long double)beta * (long double)c0(i, j));
      }
      expected[static_cast<size_t>(i * n + j)] = e;
      magnitude[static_cast<size_t>(i * n + j)] = g;
    }
}

// |C - expected| <= (K + 2) * eps * magnitude, the classic dot-product error bound (with fma the
// true error is well inside it); one ulp of slack for values that round to tiny numbers.
template <class T>
void require_close(const Matrix<T>& c, const std::vector<long double>& expected,
                   const std::vector<long double>& magnitude, int64_t k, const std::string& what) {
  const long double eps = std::numeric_limits<T>::epsilon();
  int64_t bad = 0;
  std::string first;
  for (int64_t i = 0; i < c.rows; ++i)
    for (int64_t j = 0; j < c.cols; ++j) {
      const size_t idx = static_cast<size_t>(i * c.cols + j);
      const long double err = std::fabs((long double)c(i, j) - expected[idx]);
      const long double tol = (k + 2) * eps * magnitude[idx] + std::numeric_limits<T>::min();
      if (!(err <= tol)) {
        if (bad++ == 0)
          first = "C(" + std::to_string(i) + "," + std::to_string(j) +
                  ") = " + std::to_string((double)c(i, j)) + ", expected " +
                  std::to_string((double)expected[idx]);
      }
    }
  INFO(what << ": " << bad << " wrong elements, first " << first);
  REQUIRE(bad == 0);
}

constexpr wengert::EnumName<Layout> kLayoutNames[] = {{Layout::RowMajor, "row"},
                                                      {Layout::ColMajor, "col"},
                                                      {Layout::RowMajorPadded, "row+ld"},
                                                      {Layout::ColMajorPadded, "col+ld"},
                                                      {Layout::Strided, "strided"}};
std::string layout_name(Layout l) { return std::string(wengert::enum_name(kLayoutNames, l)); }

// The kernels this CPU can run; gemm itself uses the first.
const std::vector<std::string>& runnable_kernels() {
  static const std::vector<std::string> kernels = [] {
    std::vector<std::string> k;
    if (__builtin_cpu_supports("avx512bw")) k.push_back("avx512");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) k.push_back("avx2");
    k.push_back("sse2");
    return k;
  }();
  return kernels;
}

// Runs gemm, gemm_reference and gemm forced onto each kernel on one configuration and checks both
// against naive_gemm; also checks that the guard elements after C's span were not touched.
template <class T>
void check_case(int64_t m, int64_t n, int64_t k, Layout la, Layout lb, Layout lc, T alpha, T beta,
                uint32_t seed) {
  std::mt19937 rng(seed);
  Matrix<T> a(m, k, la), b(k, n, lb), c0(m, n, lc);
  a.fill_random(rng);
  b.fill_random(rng);
  if (beta == T(0))
    c0.fill(std::numeric_limits<T>::quiet_NaN());  // beta == 0: C is write-only
  else
    c0.fill_random(rng);

  std::vector<long double> expected, magnitude;
  naive_gemm(alpha, a, b, beta, c0, expected, magnitude);

  const std::string what =
      "M=" + std::to_string(m) + " N=" + std::to_string(n) + " K=" + std::to_string(k) + " A " +
      layout_name(la) + " B " + layout_name(lb) + " C " + layout_name(lc) +
      " alpha=" + std::to_string((double)alpha) + " beta=" + std::to_string((double)beta);
  Matrix<T> c = c0;
  wengert::gemm<T>(m, n, k, alpha, a.ptr(), a.rs, a.cs, b.ptr(), b.rs, b.cs, beta, c.ptr(), c.rs,
                   c.cs);
  require_close(c, expected, magnitude, k, "gemm " + what);
  for (size_t g = c.data.size() - 8; g < c.data.size(); ++g) REQUIRE(c.data[g] == T(-777));

  for (const std::string& kernel : runnable_kernels()) {  // every kernel, not just the dispatched
    Matrix<T> ck = c0;
    wengert::detail::gemm_with_kernel<T>(kernel, m, n, k, alpha, a.ptr(), a.rs, a.cs, b.ptr(), b.rs,
                                         b.cs, beta, ck.ptr(), ck.rs, ck.cs);
    require_close(ck, expected, magnitude, k, kernel + " kernel " + what);
    for (size_t g = ck.data.size() - 8; g < ck.data.size(); ++g) REQUIRE(ck.data[g] == T(-777));
  }

  Matrix<T> r = c0;
  wengert::gemm_reference<T>(m, n, k, alpha, a.ptr(), a.rs, a.cs, b.ptr(), b.rs, b.cs, beta,
                             r.ptr(), r.rs, r.cs);
  require_close(r, expected, magnitude, k, "gemm_reference " + what);
}

// Restores the OpenMP thread count when a test section ends.
struct ThreadCount {
  int saved = omp_get_max_threads();
  explicit ThreadCount(int n) { omp_set_num_threads(n); }
  ~ThreadCount() { omp_set_num_threads(saved); }
};

}  // namespace

TEST_CASE("gemm: kernel dispatch reports the instruction set", "[gemm]") {
  const std::string name = wengert::gemm_kernel_name();
  WARN("gemm micro-kernel: " << name);
  REQUIRE(name == runnable_kernels().front());  // dispatch picks the best kernel the CPU runs
  float c = 0, one = 1;
  REQUIRE_THROWS_AS(wengert::detail::gemm_with_kernel<float>("neon", 1, 1, 1, 1.0f, &one, 1, 1,
                                                             &one, 1, 1, 0.0f, &c, 1, 1),
                    wengert::Error);
}

TEMPLATE_TEST_CASE("gemm: awkward sizes vs reference", "[gemm]", float, double) {
  using T = TestType;
  // 1, primes, and both sides of every register tile (mr in {4, 8, 16, 32}, nr in {6, 12}).
  const std::vector<int64_t> sizes = {1, 2, 3, 5, 7, 9, 11, 13, 15, 17, 31, 33, 47};
  const std::vector<int64_t> depths = {1, 3, 8, 17, 33};
  const int threads = GENERATE(1, 2);
  ThreadCount tc(threads);
  uint32_t seed = 1;
  for (int64_t m : sizes)
    for (int64_t n : sizes) {
      const int64_t k = depths[static_cast<size_t>(m + n) % depths.size()];
      check_case<T>(m, n, k, Layout::RowMajor, Layout::RowMajor, Layout::RowMajor, T(1), T(0),
                    seed++);
    }
}

TEMPLATE_TEST_CASE("gemm: transposed and strided operands, alpha and beta", "[gemm]", float,
                   double) {
  using T = TestType;
  const std::vector<Layout> layouts = {Layout::RowMajor, Layout::ColMajor, Layout::RowMajorPadded,
                                       Layout::ColMajorPadded, Layout::Strided};
  const std::vector<std::pair<T, T>> alpha_beta = {
      {T(1), T(0)}, {T(-2.5), T(0)}, {T(1), T(1)}, {T(0.5), T(-0.75)}};
  const int threads = GENERATE(1, 2);
  ThreadCount tc(threads);
  uint32_t seed = 100;
  for (Layout la : layouts)
    for (Layout lb : layouts)
      for (Layout lc : layouts) {
        const auto [alpha, beta] = alpha_beta[seed % alpha_beta.size()];
        check_case<T>(37, 29, 23, la, lb, lc, alpha, beta, seed++);
      }
}

TEMPLATE_TEST_CASE("gemm: sizes past the cache blocks", "[gemm]", float, double) {
  using T = TestType;
  const int threads = GENERATE(1, 2);
  ThreadCount tc(threads);
  // K > kc (several rank-kc updates, beta applied once), M > mc, N > nc (several B panels).
  check_case<T>(9, 7, 1031, Layout::RowMajor, Layout::ColMajor, Layout::RowMajor, T(1), T(0.5), 1);
  check_case<T>(211, 5, 13, Layout::ColMajor, Layout::RowMajor, Layout::ColMajor, T(1), T(1), 2);
  check_case<T>(3, 4133, 5, Layout::RowMajor, Layout::RowMajor, Layout::ColMajor, T(2), T(0), 3);
  check_case<T>(4133, 3, 5, Layout::RowMajor, Layout::RowMajor, Layout::RowMajor, T(2), T(0), 4);
}

TEST_CASE("gemm: one large case, threads split C", "[gemm]") {
  const int threads = GENERATE(1, 2);
  ThreadCount tc(threads);
  check_case<float>(257, 263, 269, Layout::RowMajor, Layout::RowMajor, Layout::RowMajor, 1.0f, 0.0f,
                    7);
}

TEMPLATE_TEST_CASE("gemm: bit-identical for 1 and 2 threads", "[gemm]", float, double) {
  using T = TestType;
  for (auto [m, n, k] :
       {std::tuple<int64_t, int64_t, int64_t>{151, 139, 97}, {32, 401, 131}, {300, 29, 64}}) {
    std::mt19937 rng(42);
    Matrix<T> a(m, k, Layout::RowMajor), b(k, n, Layout::RowMajor), c(m, n, Layout::RowMajor);
    a.fill_random(rng);
    b.fill_random(rng);
    c.fill_random(rng);
    Matrix<T> c1 = c, c2 = c;
    {
      ThreadCount tc(1);
      wengert::gemm<T>(m, n, k, T(1.5), a.ptr(), a.rs, a.cs, b.ptr(), b.rs, b.cs, T(0.5), c1.ptr(),
                       c1.rs, c1.cs);
    }
    {
      ThreadCount tc(2);
      wengert::gemm<T>(m, n, k, T(1.5), a.ptr(), a.rs, a.cs, b.ptr(), b.rs, b.cs, T(0.5), c2.ptr(),
                       c2.rs, c2.cs);
    }
    REQUIRE(c1.data == c2.data);
  }
}

TEMPLATE_TEST_CASE("gemm: empty sizes, K = 0 and alpha = 0", "[gemm]", float, double) {
  using T = TestType;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> a(12, T(1)), b(12, T(1));

  SECTION("M = 0 or N = 0 touch nothing, even through null pointers") {
    std::vector<T> c(6, T(3));
    wengert::gemm<T>(0, 3, 4, T(1), nullptr, 4, 1, b.data(), 3, 1, T(0), nullptr, 3, 1);
    wengert::gemm<T>(2, 0, 4, T(1), a.data(), 4, 1, nullptr, 3, 1, T(0), c.data(), 3, 1);
    REQUIRE(c == std::vector<T>(6, T(3)));
  }
  SECTION("K = 0 scales C by beta; beta = 0 overwrites NaN") {
    std::vector<T> c = {1, 2, 3, 4, 5, 6};
    wengert::gemm<T>(2, 3, 0, T(1), nullptr, 0, 1, nullptr, 3, 1, T(2), c.data(), 3, 1);
    REQUIRE(c == std::vector<T>{2, 4, 6, 8, 10, 12});
    std::vector<T> d(6, nan);
    wengert::gemm<T>(2, 3, 0, T(1), nullptr, 0, 1, nullptr, 3, 1, T(0), d.data(), 3, 1);
    REQUIRE(d == std::vector<T>(6, T(0)));
    std::vector<T> r(6, nan);
    wengert::gemm_reference<T>(2, 3, 0, T(1), nullptr, 0, 1, nullptr, 3, 1, T(0), r.data(), 3, 1);
    REQUIRE(r == std::vector<T>(6, T(0)));
  }
  SECTION("alpha = 0 does not read A or B") {
    std::vector<T> nan_a(12, nan), c = {1, 2, 3, 4, 5, 6};
    wengert::gemm<T>(2, 3, 4, T(0), nan_a.data(), 4, 1, nan_a.data(), 3, 1, T(1), c.data(), 3, 1);
    REQUIRE(c == std::vector<T>{1, 2, 3, 4, 5, 6});
  }
  SECTION("negative sizes throw") {
    std::vector<T> c(6);
    REQUIRE_THROWS_AS(
        wengert::gemm<T>(-1, 3, 4, T(1), a.data(), 4, 1, b.data(), 3, 1, T(0), c.data(), 3, 1),
        wengert::Error);
  }
}
