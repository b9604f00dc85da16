// In-place writes whose source is the destination's own memory in another layout (x.copy_(x.t()),
// a shifted view): the result must be as if the source were a separate tensor, computed here
// with plain loops on a std::vector. Writes into an expanded view, and products whose output
// shares memory with an operand, must throw instead of keeping one of several values.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "reference.hpp"
#include "wengert/tensor.hpp"
#include "wengert/tensor/packed_gemm.hpp"

using namespace wengert;
using Catch::Contains;
namespace ref = wengert::testing::ref;

namespace {

// 0, 1, ..., n*n - 1 as an n x n f64 tensor, and the same values as a row-major vector.
Tensor counting_square(std::int64_t n) {
  std::vector<double> values(static_cast<std::size_t>(n * n));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  return ref::make({n, n}, values, DType::f64);
}

std::vector<double> transposed(const std::vector<double>& m, std::int64_t n) {
  std::vector<double> t(m.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) t[i * n + j] = m[j * n + i];
  return t;
}

}  // namespace

TEST_CASE("copy_ from the destination's own transpose reads the values before the write") {
  for (std::int64_t n : {3, 17, 64}) {
    Tensor x = counting_square(n);
    const std::vector<double> before = x.to_vector<double>();
    x.copy_(x.t());
    CHECK(x.to_vector<double>() == transposed(before, n));
  }
}

TEST_CASE("copy_ between overlapping shifted views of one buffer") {
  // w[1:6] = w[0:5] on 0..5: the old values shift right by one (a forward loop would smear w[0]).
  Tensor w = ref::make({6}, {0, 1, 2, 3, 4, 5}, DType::f32);
  w.narrow(0, 1, 5).copy_(w.narrow(0, 0, 5));
  CHECK(w.to_vector<float>() == std::vector<float>{0, 0, 1, 2, 3, 4});
  // and the other direction: w[0:5] = w[1:6]
  Tensor v = ref::make({6}, {0, 1, 2, 3, 4, 5}, DType::f32);
  v.narrow(0, 0, 5).copy_(v.narrow(0, 1, 5));
  CHECK(v.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 5});
  // A converting copy (i64 source read through the same storage is not possible: dtypes of one
  // storage agree), and disjoint views of one storage are unaffected.
  Tensor m = counting_square(4);
  m.select(0, 1).copy_(m.select(0, 3));
  CHECK(m.to_vector<double>() ==
        std::vector<double>{0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15});
}

TEST_CASE("add_scaled_ and add_ with an overlapping operand in another layout") {
  const std::int64_t n = 9;
  Tensor x = counting_square(n);
  const std::vector<double> before = x.to_vector<double>();
  const std::vector<double> t = transposed(before, n);
  x.add_scaled_(x.t(), 2.0);
  std::vector<double> expected(before.size());
  for (std::size_t i = 0; i < before.size(); ++i) expected[i] = before[i] + 2.0 * t[i];
  CHECK(x.to_vector<double>() == expected);

  Tensor y = counting_square(n);
  y.add_(y.t());
  for (std::size_t i = 0; i < before.size(); ++i) expected[i] = before[i] + t[i];
  CHECK(y.to_vector<double>() == expected);

  // The same layout is elementwise (each element reads itself): x += 1 * x doubles it.
  Tensor z = counting_square(n);
  z.add_scaled_(z, 1.0);
  for (std::size_t i = 0; i < before.size(); ++i) expected[i] = 2.0 * before[i];
  CHECK(z.to_vector<double>() == expected);
}

TEST_CASE("writing into an expanded view throws, naming the op") {
  Tensor row = ref::make({1, 3}, {1, 2, 3}, DType::f32);
  Tensor wide = row.expand({4, 3});
  Tensor source = zeros({4, 3}, DType::f32);
  CHECK_THROWS_WITH(wide.copy_(source),
                    Contains("copy_") && Contains("share memory") && Contains("[4, 3]"));
  CHECK_THROWS_WITH(wide.add_(source), Contains("add_") && Contains("share memory"));
  CHECK_THROWS_WITH(wide.add_scaled_(source, 1.0), Contains("add_scaled_"));
  CHECK(row.to_vector<float>() == std::vector<float>{1, 2, 3});  // untouched
  // An expand that repeats nothing (extent 1) is an ordinary view and may be written.
  Tensor same = row.expand({1, 3});
  same.copy_(ref::make({1, 3}, {7, 8, 9}, DType::f32));
  CHECK(row.to_vector<float>() == std::vector<float>{7, 8, 9});
}

TEST_CASE("overlaps and has_internal_overlap") {
  Tensor m = counting_square(4);
  CHECK(m.overlaps(m.t()));
  CHECK(m.overlaps(m.select(0, 2)));
  CHECK_FALSE(m.select(0, 1).overlaps(m.select(0, 2)));
  CHECK_FALSE(m.overlaps(m.clone()));
  CHECK_FALSE(m.narrow(0, 0, 0).overlaps(m));      // no elements, no memory
  CHECK(m.select(1, 0).overlaps(m.select(1, 1)));  // interleaved columns count as overlapping
  CHECK_FALSE(m.has_internal_overlap());
  CHECK_FALSE(m.t().has_internal_overlap());
  CHECK(ref::make({1, 4}, {1, 2, 3, 4}, DType::f64).expand({3, 4}).has_internal_overlap());
}

TEST_CASE("matmul_into and packed_matmul_into refuse an output that shares memory") {
  Tensor x = counting_square(4);
  Tensor w = counting_square(4);
  CHECK_THROWS_WITH(matmul_into(x, x, w),
                    Contains("matmul_into") && Contains("shares memory with a"));
  CHECK_THROWS_WITH(matmul_into(w, x, w), Contains("shares memory with b"));
  Tensor wide = ref::make({1, 4}, {1, 2, 3, 4}, DType::f64).expand({4, 4});
  CHECK_THROWS_WITH(matmul_into(wide, x, w), Contains("share memory"));

  const PackedMatrix packed(w);
  CHECK_THROWS_WITH(packed_matmul_into(x, x, packed),
                    Contains("packed_matmul_into") && Contains("shares memory"));
  // A reuse buffer that overlaps the packed matrix is not used (the panels would overwrite it).
  Tensor big = zeros({4096}, DType::f64);
  Tensor w_in_big = big.narrow(0, 0, 16).view({4, 4});
  w_in_big.copy_(w);
  const PackedMatrix from_big(w_in_big, big);
  Tensor out = zeros({4, 4}, DType::f64), expected = zeros({4, 4}, DType::f64);
  packed_matmul_into(out, x, from_big);
  packed_matmul_into(expected, x, packed);
  CHECK(out.to_vector<double>() == expected.to_vector<double>());
  CHECK(w_in_big.to_vector<double>() == w.to_vector<double>());
}
