// Linear, Embedding and Dropout: shapes, values, and error messages that name the layer and the
// shapes.
#include <catch2/catch.hpp>
#include <cmath>
#include <wengert/nn.hpp>

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;

TEST_CASE("Linear maps the last axis and names itself in errors", "[layers]") {
  Generator gen(1);
  Linear lin(4, 5, gen);
  CHECK(lin.weight().shape() == Shape{5, 4});
  CHECK(lin.bias().shape() == Shape{5});
  const Var x(normal({2, 3, 4}, 0, 1, gen));
  const Var y = lin.forward(x);
  CHECK(y.shape() == Shape{2, 3, 5});
  // y[1, 2, j] = sum_i x[1, 2, i] W[j, i] + b[j]
  double expected = lin.bias().value().at({3});
  for (std::int64_t i = 0; i < 4; ++i)
    expected += x.value().at({1, 2, i}) * lin.weight().value().at({3, i});
  CHECK(y.value().at({1, 2, 3}) == Approx(expected).epsilon(1e-5));
  CHECK_THROWS_WITH(lin.forward(Var(zeros({2, 3}))),
                    Contains("Linear(4 -> 5)") && Contains("[2, 3]"));

  Linear no_bias(4, 2, gen, /*bias=*/false);
  CHECK(no_bias.parameters().size() == 1);
  CHECK(!no_bias.bias().defined());
  CHECK(no_bias.forward(x).shape() == Shape{2, 3, 2});
  CHECK_THROWS_WITH(Linear(0, 3, gen), Contains("Linear"));
}

TEST_CASE("Linear in f64", "[layers]") {
  Generator gen(2);
  Linear lin(3, 2, gen, true, DType::f64);
  CHECK(lin.forward(Var(ones({7, 3}, DType::f64))).dtype() == DType::f64);
}

TEST_CASE("Embedding looks up rows", "[layers]") {
  Generator gen(3);
  Embedding emb(10, 4, gen);
  const Tensor ids = from_vector<std::int64_t>({1, 9, 1, 0, 3, 2}, {2, 3});
  const Var y = emb.forward(ids);
  CHECK(y.shape() == Shape{2, 3, 4});
  for (std::int64_t j = 0; j < 4; ++j) {
    CHECK(y.value().at({0, 1, j}) == emb.weight().value().at({9, j}));
    CHECK(y.value().at({1, 0, j}) == emb.weight().value().at({0, j}));
  }
  // Repeated ids accumulate their gradients.
  sum(y).backward();
  CHECK(emb.weight().grad().at({1, 0}) == 2.0);
  CHECK(emb.weight().grad().at({5, 0}) == 0.0);
  CHECK_THROWS_WITH(emb.forward(zeros({2})), Contains("Embedding(10, 4)") && Contains("i64"));
  CHECK_THROWS_WITH(emb.forward(from_vector<std::int64_t>({3, 10}, {2})),
                    Contains("Embedding(10, 4)") && Contains("id 10"));
}

TEST_CASE("Dropout scales kept units while training and is the identity in eval", "[layers]") {
  Generator gen(4);
  Dropout drop(0.25);
  const Var x(ones({100, 100}));
  const Tensor y = drop.forward(x, gen).value();
  const double kept = mean(ne(y, zeros({1}))).item();
  CHECK(kept == Approx(0.75).margin(0.02));
  CHECK(max(y).item() == Approx(1.0 / 0.75));
  drop.eval();
  CHECK(equal(drop.forward(x, gen).value(), x.value()));
  CHECK_THROWS_WITH(Dropout(1.5), Contains("Dropout") && Contains("1.5"));
}
