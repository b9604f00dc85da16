// The op table: one line per op (shapes, including broadcast and non-contiguous inputs), each
// checked by gradcheck against central differences in f64.
#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {
using V = const std::vector<Var>&;
struct OpCase {
  const char* name;
  std::vector<Tensor> inputs;
  GradcheckFn f;
};

std::vector<OpCase> op_table() {
  const Tensor cond = gt(r({2, 3}), scalar(0.0, DType::f64));
  const Tensor targets = ids({2, 0, 3, 1});
  const Tensor ignored = ids({2, -100, 3, 1});
  return {
      // arithmetic, with broadcasting and strided inputs
      {"add", {r({2, 3}), r({2, 3})}, [](V v) { return add(v[0], v[1]); }},
      {"add broadcast", {r({2, 3}), r({3})}, [](V v) { return add(v[0], v[1]); }},
      {"add broadcast both", {r({2, 1}), strided({1, 3})}, [](V v) { return v[0] + v[1]; }},
      {"sub", {transposed({3, 2}), r({3, 1})}, [](V v) { return sub(v[0], v[1]); }},
      {"mul", {r({4, 1, 3}), strided({2, 3})}, [](V v) { return mul(v[0], v[1]); }},
      {"mul same input", {r({3})}, [](V v) { return v[0] * v[0]; }},
      {"div", {r({2, 3}), pos({2, 3})}, [](V v) { return div(v[0], v[1]); }},
      {"div broadcast", {pos({3}), pos({2, 1})}, [](V v) { return v[0] / v[1]; }},
      {"pow", {pos({2, 3}), r({2, 3})}, [](V v) { return pow(v[0], v[1]); }},
      {"pow scalar", {pos({5})}, [](V v) { return pow(v[0], 2.5); }},
      {"scalar operators",
       {r({2, 2}), pos({2, 2})},
       [](V v) { return 2.0 - v[0] * 3.0 + 1.0 / v[1] + (v[0] - 1.0) / 4.0 + (5.0 + v[1]); }},
      {"neg", {strided({3})}, [](V v) { return -v[0]; }},
      {"mixed Var and Tensor operators",
       {r({2, 3})},
       [](V v) {
         const Tensor t = tensor({0.5, -1.5, 2.0}, DType::f64),
                      p = tensor({1.5, 0.75, 2.5}, DType::f64);
         return (v[0] * t + t) * v[0] - (t - v[0]) / p + (v[0] + t) + p / (v[0] * v[0] + 1.0) -
                (v[0] - p);
       }},
      // unary
      {"exp", {r({2, 3})}, [](V v) { return exp(v[0]); }},
      {"log", {pos({2, 3})}, [](V v) { return log(v[0]); }},
      {"sqrt", {pos({2, 3})}, [](V v) { return sqrt(v[0]); }},
      {"tanh", {strided({2, 3})}, [](V v) { return tanh(v[0]); }},
      {"sigmoid", {transposed({2, 3})}, [](V v) { return sigmoid(v[0]); }},
      {"relu", {r({3, 4})}, [](V v) { return relu(v[0]); }},
      {"abs", {r({3, 4})}, [](V v) { return abs(v[0]); }},
      {"clamp", {r({3, 4})}, [](V v) { return clamp(v[0], -0.5, 0.7); }},
      {"clamp_min", {r({3, 4})}, [](V v) { return clamp_min(v[0], -0.3); }},
      {"clamp_max", {strided({3, 4})}, [](V v) { return clamp_max(v[0], 0.2); }},
      {"log1p", {pos({2, 3})}, [](V v) { return log1p(v[0] - 0.9); }},
      {"expm1", {r({2, 3})}, [](V v) { return expm1(v[0]); }},
      {"sin", {strided({2, 3})}, [](V v) { return sin(v[0]); }},
      {"cos", {transposed({2, 3})}, [](V v) { return cos(v[0]); }},
      {"erf", {r({2, 3})}, [](V v) { return erf(v[0]); }},
      {"round floor ceil",
       {r({2, 3})},
       [](V v) { return (round(v[0] * 3.0) + floor(v[0]) - ceil(v[0])) * v[0]; }},
      {"silu", {r({2, 3})}, [](V v) { return silu(v[0]); }},
      {"leaky_relu", {strided({3, 4})}, [](V v) { return leaky_relu(v[0], 0.2); }},
      {"elu", {r({3, 4})}, [](V v) { return elu(v[0], 1.5); }},
      {"softplus", {r({3, 4})}, [](V v) { return softplus(v[0], 2.0, 1.0); }},
      {"gelu", {r({3, 4})}, [](V v) { return gelu(v[0]); }},
      {"gelu tanh", {transposed({3, 4})}, [](V v) { return gelu(v[0], GeluApproximation::tanh); }},
      {"where", {r({2, 3}), r({3})}, [cond](V v) { return where(cond, v[0], v[1]); }},
      {"maximum", {r({2, 3}), r({3})}, [](V v) { return maximum(v[0], v[1]); }},
      {"minimum", {strided({2, 3}), r({2, 1})}, [](V v) { return minimum(v[0], v[1]); }},
      // reductions
      {"sum all", {r({2, 3})}, [](V v) { return sum(v[0]); }},
      {"sum axes",
       {strided({2, 3, 4})},
       [](V v) {
         return sum(v[0], {0, 2});
       }},
      {"sum_to",
       {r({2, 3, 4})},
       [](V v) {
         return sum_to(v[0], {3, 1}) * 2.0;
       }},
      {"sum keepdim", {r({2, 3, 4})}, [](V v) { return sum(v[0], {-1}, true); }},
      {"mean", {r({2, 3, 4})}, [](V v) { return mean(v[0], {1}); }},
      {"mean all", {transposed({3, 4})}, [](V v) { return mean(v[0]); }},
      {"max axis", {r({3, 4})}, [](V v) { return max(v[0], {1}); }},
      {"max all keepdim", {r({3, 4})}, [](V v) { return max(v[0], {}, true); }},
      {"min axis", {strided({3, 4})}, [](V v) { return min(v[0], {0}); }},
      {"min all", {r({3, 4})}, [](V v) { return min(v[0]); }},
      {"var", {r({3, 4})}, [](V v) { return var(v[0], {1}); }},
      {"var population keepdim",
       {strided({2, 3, 4})},
       [](V v) {
         return var(v[0], {0, 2}, 0, true);
       }},
      {"stddev", {transposed({3, 4})}, [](V v) { return stddev(v[0]); }},
      {"cumsum", {r({3, 4})}, [](V v) { return cumsum(v[0], 1); }},
      {"cumsum axis 0", {strided({3, 2, 2})}, [](V v) { return cumsum(v[0], 0); }},
      {"cumsum reverse, transposed",
       {transposed({3, 4})},
       [](V v) { return cumsum(v[0], 0, true); }},
      {"max with indices", {r({3, 4})}, [](V v) { return max_with_indices(v[0], 1).values; }},
      {"min with indices keepdim",
       {r({3, 4})},
       [](V v) { return min_with_indices(v[0], 0, true).values; }},
      {"logsumexp", {r({3, 4})}, [](V v) { return logsumexp(v[0], {1}); }},
      {"logsumexp all", {strided({2, 3})}, [](V v) { return logsumexp(v[0]); }},
      {"softmax", {r({3, 4})}, [](V v) { return softmax(v[0], -1); }},
      {"softmax axis 0", {transposed({3, 4})}, [](V v) { return softmax(v[0], 0); }},
      {"log_softmax", {r({2, 5})}, [](V v) { return log_softmax(v[0], 1); }},
      // normalisation: the fused op (with and without the affine part) and its composed twin
      {"layer_norm",
       {r({3, 4}), r({4}), r({4})},
       [](V v) { return layer_norm(v[0], {4}, v[1], v[2]); }},
      {"layer_norm 2d strided weight only",
       {strided({2, 3, 2}), r({3, 2})},
       [](V v) {
         return layer_norm(v[0], {3, 2}, v[1], {}, 0.1);
       }},
      {"layer_norm bias only",
       {transposed({3, 4}), r({4})},
       [](V v) { return layer_norm(v[0], {4}, {}, v[1]); }},
      {"layer_norm no affine", {r({2, 5})}, [](V v) { return layer_norm(v[0], {5}); }},
      {"layer_norm_composed",
       {r({3, 4}), r({4}), r({4})},
       [](V v) { return layer_norm_composed(v[0], {4}, v[1], v[2]); }},
      // matmul: every NumPy case
      {"matmul 2d", {r({2, 3}), r({3, 4})}, [](V v) { return matmul(v[0], v[1]); }},
      {"matmul transposed",
       {transposed({2, 3}), strided({3, 4})},
       [](V v) { return matmul(v[0], v[1]); }},
      {"matmul dot", {r({3}), r({3})}, [](V v) { return matmul(v[0], v[1]); }},
      {"matmul vec-mat", {r({3}), r({3, 4})}, [](V v) { return matmul(v[0], v[1]); }},
      {"matmul mat-vec", {r({2, 3}), r({3})}, [](V v) { return matmul(v[0], v[1]); }},
      {"matmul batched", {r({2, 2, 3}), r({2, 3, 4})}, [](V v) { return matmul(v[0], v[1]); }},
      {"matmul batch broadcast",
       {r({2, 1, 2, 3}), r({3, 3, 2})},
       [](V v) { return matmul(v[0], v[1]); }},
      {"matmul vec-batch", {r({3}), r({2, 3, 4})}, [](V v) { return matmul(v[0], v[1]); }},
      {"matmul batch-vec", {r({2, 2, 3}), r({3})}, [](V v) { return matmul(v[0], v[1]); }},
      // batch @ one matrix: the batches folded into the rows of one GEMM (a view), or not
      {"matmul batch-matrix", {r({2, 2, 3}), r({3, 4})}, [](V v) { return matmul(v[0], v[1]); }},
      {"matmul 4-d batch-matrix, strided",
       {strided({2, 2, 2, 3}), transposed({3, 2})},
       [](V v) { return matmul(v[0], v[1]); }},
      {"matmul transposed batch-matrix",
       {transposed({2, 3, 3}), r({3, 2})},
       [](V v) { return matmul(v[0], v[1]); }},
      // indexing
      {"index_select (embedding)",
       {r({5, 3})},
       [](V v) {
         return index_select(v[0], 0, ids({1, 4, 1, 0, 1, 2}, {2, 3}));
       }},
      {"index_select axis 1",
       {strided({2, 4})},
       [](V v) {
         return index_select(v[0], 1, ids({3, 3, 0}));
       }},
      {"gather",
       {r({3, 4})},
       [](V v) {
         return gather(v[0], 1, ids({0, 3, 1, 1, 2, 2}, {3, 2}));
       }},
      {"index_add",
       {strided({3, 2})},
       [](V v) {
         return index_add({4, 2}, 0, ids({3, 0, 3}), v[0]);
       }},
      {"scatter_add",
       {r({3, 2})},
       [](V v) {
         return scatter_add({3, 4}, 1, ids({0, 3, 1, 1, 2, 0}, {3, 2}), v[0]);
       }},
      // views and joins
      {"reshape",
       {r({2, 6})},
       [](V v) {
         return reshape(v[0], {3, -1});
       }},
      {"reshape copy", {transposed({3, 4})}, [](V v) { return reshape(v[0], {12}); }},
      {"flatten", {r({2, 2, 3})}, [](V v) { return flatten(v[0]) * 2.0; }},
      {"permute",
       {r({2, 3, 4})},
       [](V v) {
         return permute(v[0], {2, 0, 1});
       }},
      {"transpose", {r({2, 3, 4})}, [](V v) { return transpose(v[0], 0, -1); }},
      {"slice step", {r({7, 3})}, [](V v) { return slice(v[0], 0, 1, 7, 2); }},
      {"slice_scatter",
       {transposed({3, 2})},
       [](V v) {
         return slice_scatter(v[0], {7, 2}, 0, 1, 7, 2);
       }},
      {"narrow", {strided({3, 5})}, [](V v) { return narrow(v[0], 1, 1, 3); }},
      {"select",
       {r({3, 4})},
       [](V v) { return select(v[0], 1, 2) * slice(select(v[0], 0, 1), 0, 0, 3); }},
      {"tril", {r({2, 3, 4})}, [](V v) { return tril(v[0]); }},
      {"triu", {transposed({4, 3})}, [](V v) { return triu(v[0], 1) + tril(v[0], -1) * 2.0; }},
      {"expand",
       {r({3, 1})},
       [](V v) {
         return expand(v[0], {2, 3, 4});
       }},
      {"squeeze unsqueeze", {r({3, 1, 2})}, [](V v) { return unsqueeze(squeeze(v[0], 1), 0); }},
      {"concat",
       {r({2, 3}), strided({1, 3}), r({4, 3})},
       [](V v) {
         return concat({v[0], v[1], v[2]}, 0);
       }},
      {"concat axis 1",
       {r({2, 1}), r({2, 3})},
       [](V v) {
         return concat({v[1], v[0], v[1]}, -1);
       }},
      {"stack",
       {r({2, 3}), transposed({2, 3})},
       [](V v) {
         return stack({v[0], v[1]}, 1);
       }},
      {"split",
       {r({7, 2})},
       [](V v) {
         auto p = split(v[0], 3);
         return concat({p[2] * 2.0, tanh(p[0]), p[1]});
       }},
      {"chunk",
       {r({2, 6})},
       [](V v) {
         auto p = chunk(v[0], 3, 1);
         return p[0] * p[1] - p[2];
       }},
      // losses
      {"cross_entropy", {r({4, 5})}, [targets](V v) { return cross_entropy(v[0], targets); }},
      {"cross_entropy sum ignore",
       {strided({4, 5})},
       [ignored](V v) { return cross_entropy(v[0], ignored, {Reduction::sum}); }},
      {"cross_entropy none 3d",
       {r({2, 2, 5})},
       [targets](V v) {
         return cross_entropy(v[0], targets.reshape({2, 2}), {Reduction::none});
       }},
      {"cross_entropy weights smoothing",
       {r({4, 5})},
       [ignored](V v) {
         const Tensor w = tensor({0.5, 1.0, 2.0, 1.5, 0.25}, DType::f64);
         return cross_entropy(v[0], ignored, {.weight = w, .label_smoothing = 0.2});
       }},
      {"cross_entropy smoothing none",
       {strided({4, 5})},
       [targets](V v) {
         return cross_entropy(v[0], targets,
                              {.reduction = Reduction::none, .label_smoothing = 0.1});
       }},
      {"nll_loss", {r({4, 5})}, [ignored](V v) { return nll_loss(log_softmax(v[0]), ignored); }},
      {"dropout",
       {r({3, 4})},
       [](V v) {
         Generator g(99);
         return dropout(v[0], 0.3, g);
       }},
  };
}
}  // namespace

TEST_CASE("every op passes gradcheck", "[ops][gradcheck]") {
  for (const OpCase& c : op_table()) {
    const GradcheckResult result = gradcheck(c.f, c.inputs);
    INFO(c.name << ": " << result.report());
    CHECK(result.ok);
    CHECK(result.checked > 0);
  }
}

// Second derivatives: the gradient each rule computes under create_graph, differentiated again,
// against central differences of the first gradient (f64). Ops whose first gradient does not
// depend on the inputs (linear ones) check that the second derivative is zero.
TEST_CASE("every op passes gradgradcheck", "[ops][gradgradcheck]") {
  for (const OpCase& c : op_table()) {
    const GradcheckResult result = gradgradcheck(c.f, c.inputs);
    INFO(c.name << ": " << result.report());
    CHECK(result.ok);
    CHECK(result.checked > 0);
  }
}

TEST_CASE("ties: max and maximum split the gradient evenly", "[ops]") {
  Var x(tensor({1.0, 3.0, 3.0}, DType::f64), true);
  max(x).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 0.5, 0.5});

  Var a(tensor({1.0, 2.0, 3.0}, DType::f64), true), b(tensor({2.0, 2.0, 1.0}, DType::f64), true);
  sum(maximum(a, b)).backward();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{0.0, 0.5, 1.0});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1.0, 0.5, 0.0});
}

TEST_CASE("forward values match the tensor library", "[ops]") {
  const Tensor a = r({2, 3}), b = r({3, 4});
  CHECK(allclose(matmul(Var(a), Var(b)).value(), matmul(a, b)));
  CHECK(allclose(tanh(Var(a)).value(), tanh(a)));
  CHECK(allclose(mean(Var(a), {1}).value(), mean(a, {1})));
  const Tensor logits = r({4, 5});
  const Tensor t = ids({1, 0, 4, 2});
  const double expected = -mean(gather(log_softmax(logits, -1), 1, t.reshape({4, 1}))).item();
  CHECK(cross_entropy(Var(logits), t).item() == Approx(expected));
}

TEST_CASE("dropout keeps about 1 - p, scales by 1 / (1 - p), and is the identity in eval",
          "[ops]") {
  Generator g(5);
  Var x(ones({1000}, DType::f64), true);
  Var y = dropout(x, 0.25, g);
  const auto values = y.value().to_vector<double>();
  const auto kept = std::count_if(values.begin(), values.end(), [](double v) { return v != 0.0; });
  CHECK(kept > 700);
  CHECK(kept < 800);
  CHECK(*std::max_element(values.begin(), values.end()) == Approx(1.0 / 0.75));
  CHECK(dropout(x, 0.25, g, false).node() == x.node());
}
