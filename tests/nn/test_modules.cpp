// Module: recursive dotted names, registration errors, train/eval, zero_grad, the summary, the
// state_dict round trip with its all-or-nothing errors, and the initialisers.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <sstream>
#include <wengert/nn.hpp>

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;

namespace {
struct Mlp : Module {
  std::shared_ptr<Linear> fc1, fc2;
  Mlp(Generator& gen) {
    fc1 = register_module("fc1", std::make_shared<Linear>(3, 4, gen));
    fc2 = register_module("fc2", std::make_shared<Linear>(4, 2, gen, /*bias=*/false));
  }
  Var forward(const Var& x) const { return fc2->forward(relu(fc1->forward(x))); }
};

struct Outer : Module {
  Var scale;
  std::shared_ptr<Mlp> mlp;
  std::shared_ptr<LSTM> rnn;
  Outer(Generator& gen) {
    scale = register_parameter("scale", ones({2}));
    mlp = register_module("mlp", std::make_shared<Mlp>(gen));
    rnn = register_module("rnn", std::make_shared<LSTM>(2, 3, 2, gen));
  }
  void add(const std::string& name) { register_parameter(name, zeros({1})); }
  void add_child(const std::string& name) { register_module(name, std::make_shared<Dropout>(0.1)); }
};

std::vector<std::string> names_of(const Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, p] : m.named_parameters()) out.push_back(name);
  return out;
}
}  // namespace

TEST_CASE("Module names parameters recursively with dots, in registration order", "[module]") {
  Generator gen(1);
  Outer m(gen);
  const std::vector<std::string> expected{"scale",
                                          "mlp.fc1.weight",
                                          "mlp.fc1.bias",
                                          "mlp.fc2.weight",
                                          "rnn.weight_ih_l0",
                                          "rnn.weight_hh_l0",
                                          "rnn.bias_ih_l0",
                                          "rnn.bias_hh_l0",
                                          "rnn.weight_ih_l1",
                                          "rnn.weight_hh_l1",
                                          "rnn.bias_ih_l1",
                                          "rnn.bias_hh_l1"};
  CHECK(names_of(m) == expected);
  const auto params = m.parameters();
  REQUIRE(params.size() == expected.size());
  CHECK(params[1].node() == m.mlp->fc1->weight().node());  // the same leaf, not a copy
  for (const Var& p : params) CHECK(p.requires_grad());
  // 2 + (12 + 4) + 8 + LSTM: (12*2 + 12*3 + 24) + (12*3 + 12*3 + 24)
  CHECK(m.num_parameters() == 2 + 16 + 8 + 84 + 96);
  CHECK(m.children().size() == 2);
}

TEST_CASE("Module rejects duplicate and dotted names", "[module]") {
  Generator gen(1);
  Outer m(gen);
  CHECK_THROWS_WITH(m.add("scale"), Contains("'scale'") && Contains("already"));
  CHECK_THROWS_WITH(m.add("mlp"), Contains("'mlp'") && Contains("sub-module"));
  CHECK_THROWS_WITH(m.add("a.b"), Contains("'a.b'"));
  CHECK_THROWS_WITH(m.add_child("rnn"), Contains("'rnn'"));
  CHECK_THROWS_WITH(m.add(""), Contains("invalid name"));
}

TEST_CASE("train / eval reach every sub-module", "[module]") {
  Generator gen(1);
  Outer m(gen);
  CHECK(m.is_training());
  m.eval();
  CHECK(!m.is_training());
  CHECK(!m.mlp->fc1->is_training());
  CHECK(!m.rnn->is_training());
  m.train();
  CHECK(m.mlp->fc2->is_training());
}

TEST_CASE("zero_grad makes every parameter's grad undefined", "[module]") {
  Generator gen(2);
  Mlp m(gen);
  Var x(normal({5, 3}, 0, 1, gen));
  sum(m.forward(x)).backward();
  for (const Var& p : m.parameters()) CHECK(p.grad().defined());
  m.zero_grad();
  for (const Var& p : m.parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("summary prints the tree with shapes and parameter counts", "[module]") {
  Generator gen(3);
  Outer m(gen);
  const std::string s = m.summary();
  CHECK(s.rfind("Outer  (206 parameters)\n", 0) == 0);
  CHECK_THAT(s, Contains("  mlp: Mlp  (24 parameters)"));
  CHECK_THAT(s, Contains("    fc1: Linear  (16 parameters)\n      weight  [4, 3]  12\n"));
  CHECK_THAT(s, Contains("  rnn: LSTM(I=2, H=3, layers=2)  (180 parameters)"));
  CHECK_THAT(s, Contains("    weight_hh_l1  [12, 3]  36\n"));
  CHECK_THAT(s, Contains("  scale  [2]  2\n"));
  std::ostringstream printed;
  printed << m;
  CHECK(printed.str() == s);
  Generator g2(0);
  Linear big(1000, 1000, g2);
  CHECK_THAT(big.summary(), Contains("(1,001,000 parameters)"));
}

TEST_CASE("state_dict round trip", "[module]") {
  Generator gen_a(4), gen_b(5);
  Outer a(gen_a), b(gen_b);
  const NamedTensors state = a.state_dict();
  REQUIRE(state.size() == a.parameters().size());
  CHECK(state[0].first == "scale");
  CHECK(state[1].second.shares_storage_with(a.mlp->fc1->weight().value()));  // not a copy
  CHECK(!equal(b.mlp->fc1->weight().value(), a.mlp->fc1->weight().value()));
  b.load_state_dict(state);
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i].first == pb[i].first);
    CHECK(equal(pa[i].second.value(), pb[i].second.value()));
    CHECK(!pa[i].second.value().shares_storage_with(pb[i].second.value()));
  }
  a.load_state_dict(a.state_dict());  // loading a module's own state is a no-op
}

TEST_CASE("load_state_dict errors name the tensor and change nothing", "[module]") {
  Generator gen_a(4), gen_b(5);
  Mlp a(gen_a), b(gen_b);
  const Tensor before = b.fc1->weight().value().clone();
  NamedTensors state = a.state_dict();

  SECTION("missing") {
    state.pop_back();
    CHECK_THROWS_WITH(b.load_state_dict(state), Contains("missing") && Contains("fc2.weight"));
  }
  SECTION("unexpected") {
    state.emplace_back("fc3.weight", zeros({2}));
    CHECK_THROWS_WITH(b.load_state_dict(state), Contains("unexpected") && Contains("fc3.weight"));
  }
  SECTION("duplicate") {
    state.push_back(state[0]);
    CHECK_THROWS_WITH(b.load_state_dict(state), Contains("twice") && Contains("fc1.weight"));
  }
  SECTION("shape") {
    state.back().second = zeros({2, 5});
    CHECK_THROWS_WITH(b.load_state_dict(state),
                      Contains("fc2.weight") && Contains("[2, 5]") && Contains("[2, 4]"));
  }
  SECTION("dtype") {
    state.back().second = state.back().second.to(DType::f64);
    CHECK_THROWS_WITH(b.load_state_dict(state), Contains("fc2.weight") && Contains("f64"));
  }
  CHECK(equal(b.fc1->weight().value(), before));  // fc1 came first and valid: still untouched
}

TEST_CASE("default initialisation follows PyTorch's bounds", "[module][init]") {
  Generator gen(6);
  Linear lin(16, 8, gen);
  const double bound = 1.0 / std::sqrt(16.0);
  CHECK(max(abs(lin.weight().value())).item() <= bound);
  CHECK(max(abs(lin.bias().value())).item() <= bound);
  CHECK(max(abs(lin.weight().value())).item() > 0.8 * bound);
  GRU gru(5, 9, 1, gen);
  for (const Var& p : gru.parameters()) CHECK(max(abs(p.value())).item() <= 1.0 / 3.0);
  Embedding emb(200, 50, gen);
  const Tensor w = emb.weight().value();
  CHECK(std::abs(mean(w).item()) < 0.05);
  CHECK(std::abs(mean(w * w).item() - 1.0) < 0.05);
}

TEST_CASE("xavier_uniform and orthogonal", "[module][init]") {
  Generator gen(7);
  const Tensor x = init::xavier_uniform({30, 20}, gen, 2.0);
  const double a = 2.0 * std::sqrt(6.0 / 50.0);
  CHECK(max(abs(x)).item() <= a);
  CHECK(max(abs(x)).item() > 0.9 * a);
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 5}, Shape{4, 4}, Shape{2, 2, 3}}) {
    const Tensor q = init::orthogonal(shape, gen, 1.0, DType::f64).reshape({shape[0], -1});
    const bool tall = q.size(0) >= q.size(1);
    const Tensor gram = tall ? matmul(q.t(), q) : matmul(q, q.t());
    CHECK(max_abs_diff(gram, eye(gram.size(0), DType::f64)) < 1e-12);
  }
  Linear lin(6, 6, gen);
  init::orthogonal_(lin.weight(), gen, 0.5);
  CHECK(max_abs_diff(matmul(lin.weight().value(), lin.weight().value().t()), eye(6) * 0.25) < 1e-6);
  init::xavier_uniform_(lin.weight(), gen);
  CHECK(max(abs(lin.weight().value())).item() <= 1.0);
  CHECK_THROWS_WITH(init::orthogonal({4}, gen), Contains("orthogonal") && Contains("[4]"));
}
