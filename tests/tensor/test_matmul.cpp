// matmul in every NumPy case (1-d @ 1-d, 2-d @ 1-d, 1-d @ 2-d, 2-d @ 2-d, n-d batches with
// broadcast batch axes), with transposed / strided / expanded operands, against a naive loop in
// long double; matmul_into with alpha / beta.
#include <catch2/catch.hpp>
#include <random>

#include "reference.hpp"

using namespace wengert;
using ref::Array;
using ref::Index;

namespace {

// NumPy matmul by definition: promote 1-d operands, broadcast batch axes, triple loop, then drop
// the promoted axes. Returns the product and, in `bound`, sum_k |a_ik| |b_kj| per element (the
// scale of any summation-order rounding error).
Array matmul_ref(const Array& a, const Array& b, Array& bound) {
  Shape sa = a.shape, sb = b.shape;
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const std::int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
  const Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  const Shape batch = ref::broadcast(ba, bb);
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Array out{out_shape, {}};
  bound = {out_shape, {}};
  for (std::int64_t bi = 0; bi < ref::numel(batch); ++bi) {
    const Index idx = ref::unravel(bi, batch);
    const std::int64_t oa = ref::broadcast_source(idx, ba) * M * K;
    const std::int64_t ob = ref::broadcast_source(idx, bb) * K * N;
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        long double s = 0, m = 0;
        for (std::int64_t k = 0; k < K; ++k) {
          const long double x = a.v[static_cast<std::size_t>(oa + i * K + k)];
          const long double y = b.v[static_cast<std::size_t>(ob + k * N + j)];
          s += x * y;
          m += std::abs(x * y);
        }
        out.v.push_back(static_cast<double>(s));
        bound.v.push_back(static_cast<double>(m));
      }
  }
  Shape final_shape = batch;
  if (a.shape.size() > 1) final_shape.push_back(M);
  if (b.shape.size() > 1) final_shape.push_back(N);
  out.shape = bound.shape = final_shape;
  return out;
}

// Every |got - want| <= eps * bound (+ a tiny absolute slack).
std::string check_product(const Tensor& got, const Array& want, const Array& bound, DType dt) {
  const Array g = ref::read(got);
  if (g.shape != want.shape) return "shape " + shape_str(g.shape) + " vs " + shape_str(want.shape);
  const double eps = dt == DType::f32 ? 1e-5 : 1e-13;
  for (std::size_t i = 0; i < want.v.size(); ++i)
    if (!(std::abs(g.v[i] - want.v[i]) <= eps * bound.v[i] + 1e-30))
      return "at " + std::to_string(i) + ": got " + std::to_string(g.v[i]) + " want " +
             std::to_string(want.v[i]);
  return "";
}

struct Case {
  Shape a, b;
};

}  // namespace

TEST_CASE("matmul in every NumPy case against a naive loop", "[tensor][matmul]") {
  const std::vector<Case> cases{
      {{7}, {7}},  // dot -> 0-d
      {{1}, {1}},
      {{5, 7}, {7}},  // matrix @ vector
      {{7}, {7, 4}},  // vector @ matrix
      {{1, 1}, {1, 1}},
      {{5, 7}, {7, 4}},
      {{13, 1}, {1, 9}},             // outer product
      {{33, 65}, {65, 17}},          // past register tiles
      {{3, 5, 7}, {3, 7, 4}},        // batched
      {{3, 5, 7}, {7, 4}},           // batch @ matrix (one GEMM when the batches fold into rows)
      {{2, 3, 5, 7}, {7, 4}},        // two batch axes @ matrix
      {{2, 3, 5, 7}, {7}},           // two batch axes @ vector
      {{4, 1, 7}, {7, 40}},          // M = 1 per batch
      {{2, 0, 7}, {7, 3}},           // a batch of empty matrices
      {{3, 5, 0}, {0, 4}},           // batch @ matrix with K = 0: zeros
      {{5, 7}, {2, 7, 4}},           // matrix @ batch
      {{2, 1, 5, 7}, {3, 7, 4}},     // broadcast batch axes -> [2, 3, 5, 4]
      {{1, 3, 5, 7}, {2, 1, 7, 4}},  // -> [2, 3, 5, 4]
      {{7}, {2, 3, 7, 4}},           // vector @ batch -> [2, 3, 4]
      {{2, 3, 5, 7}, {7}},           // batch @ vector -> [2, 3, 5]
      {{0, 7}, {7, 3}},              // empty M
      {{4, 0}, {0, 3}},              // K = 0: zeros
  };
  std::mt19937 rng(4321);
  for (DType dt : {DType::f32, DType::f64})
    for (const Case& c : cases)
      for (ref::Layout la : ref::kLayouts)
        for (ref::Layout lb : {ref::Layout::Contiguous, ref::Layout::Transposed,
                               ref::Layout::StridedTransposed, ref::Layout::Expanded}) {
          INFO(dtype_name(dt) << " " << shape_str(c.a) << " (" << ref::layout_name(la) << ") @ "
                              << shape_str(c.b) << " (" << ref::layout_name(lb) << ")");
          const Tensor a = ref::random_tensor(rng, c.a, dt, la, -1, 1);
          const Tensor b = ref::random_tensor(rng, c.b, dt, lb, -1, 1);
          Array bound;
          const Array want = matmul_ref(ref::read(a), ref::read(b), bound);
          const Tensor got = matmul(a, b);
          CHECK(got.dtype() == dt);
          CHECK(check_product(got, want, bound, dt) == "");
        }
}

TEST_CASE("matmul over random sizes and explicitly transposed operands", "[tensor][matmul]") {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> size(1, 40);
  for (DType dt : {DType::f32, DType::f64})
    for (int iter = 0; iter < 30; ++iter) {
      const std::int64_t M = size(rng), K = size(rng), N = size(rng);
      INFO(dtype_name(dt) << " M=" << M << " K=" << K << " N=" << N);
      // a^T @ b^T with both stored transposed, and a slice with step on the batch axis.
      const Tensor at = ref::random_tensor(rng, {K, M}, dt, ref::Layout::Contiguous);
      const Tensor bt = ref::random_tensor(rng, {N, K}, dt, ref::Layout::Contiguous);
      Array bound;
      const Array want = matmul_ref(ref::read(at.t()), ref::read(bt.t()), bound);
      CHECK(check_product(matmul(at.t(), bt.t()), want, bound, dt) == "");
      const Tensor batch =
          ref::random_tensor(rng, {4, M, K}, dt, ref::Layout::Contiguous).slice(0, 0, 4, 2);
      const Array want_b = matmul_ref(ref::read(batch), ref::read(bt.t()), bound);
      CHECK(check_product(matmul(batch, bt.t()), want_b, bound, dt) == "");
    }
  // Small exact example.
  Tensor a = tensor({{1, 2, 3}, {4, 5, 6}}, DType::f64);
  Tensor b = tensor({{7, 8}, {9, 10}, {11, 12}}, DType::f64);
  CHECK(matmul(a, b).to_vector<double>() == std::vector<double>{58, 64, 139, 154});
  CHECK(matmul(tensor({1, 2, 3}, DType::f64), tensor({4, 5, 6}, DType::f64)).item() == 32.0);
  CHECK(matmul(tensor({1, 2, 3}, DType::f64), tensor({4, 5, 6}, DType::f64)).dim() == 0);
  // The inputs are untouched.
  CHECK(a.to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("matmul_into computes alpha * a @ b + beta * out", "[tensor][matmul]") {
  std::mt19937 rng(7);
  for (DType dt : {DType::f32, DType::f64})
    for (const auto& [alpha, beta] : std::vector<std::pair<double, double>>{
             {1, 0}, {2.5, 0}, {1, 1}, {0.5, -2}, {0, 3}, {-1, 1}}) {
      for (ref::Layout la :
           {ref::Layout::Contiguous, ref::Layout::Transposed, ref::Layout::Strided}) {
        INFO(dtype_name(dt) << " alpha " << alpha << " beta " << beta << " "
                            << ref::layout_name(la));
        const Tensor a = ref::random_tensor(rng, {9, 17}, dt, la, -1, 1);
        const Tensor b = ref::random_tensor(rng, {17, 6}, dt, ref::Layout::Transposed, -1, 1);
        Tensor out = ref::random_tensor(rng, {9, 6}, dt, ref::Layout::Contiguous, -1, 1);
        const Array before = ref::read(out);
        Array bound;
        Array want = matmul_ref(ref::read(a), ref::read(b), bound);
        for (std::size_t i = 0; i < want.v.size(); ++i) {
          want.v[i] = alpha * want.v[i] + beta * before.v[i];
          bound.v[i] = std::abs(alpha) * bound.v[i] + std::abs(beta * before.v[i]);
        }
        const std::uint64_t v0 = out.version();
        const Tensor alias = out;
        matmul_into(out, a, b, alpha, beta);
        CHECK(out.version() > v0);
        CHECK(out.shares_storage_with(alias));
        CHECK(check_product(out, want, bound, dt) == "");
      }
    }
  // beta = 0: whatever out held (even NaN) is not read.
  Tensor out = full({2, 2}, std::numeric_limits<double>::quiet_NaN(), DType::f64);
  matmul_into(out, eye(2, DType::f64), tensor({{1, 2}, {3, 4}}, DType::f64));
  CHECK(out.to_vector<double>() == std::vector<double>{1, 2, 3, 4});
}
