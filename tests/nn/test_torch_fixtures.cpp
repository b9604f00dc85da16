// Agreement with PyTorch: fixtures written by scripts/make_nn_fixtures.py (torch, float64) hold
// weights, inputs, outputs and the gradients of a scalar loss w.r.t. the inputs and every weight.
// We load the weights by their PyTorch names, run the same computation in f32 (within 1e-5) and
// f64 (within 1e-10), cell by cell and fused, and compare everything. Set WENGERT_FIXTURE_REPORT=1
// to print the largest difference per fixture.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <wengert/nn.hpp>

using namespace wengert;
using namespace wengert::nn;

namespace {
struct Fixture {
  nlohmann::json config;
  std::map<std::string, Tensor> t;  // f64 (targets: i64)
};

Fixture load_fixture(const std::string& name) {
  const std::string path = std::string(WENGERT_SOURCE_DIR) + "/tests/nn/fixtures/" + name + ".json";
  std::ifstream in(path);
  REQUIRE(in.good());
  const nlohmann::json doc = nlohmann::json::parse(in);
  Fixture f{doc.at("config"), {}};
  for (const auto& [key, entry] : doc.at("tensors").items()) {
    const Shape shape = entry.at("shape").get<Shape>();
    const std::vector<double> data = entry.at("data").get<std::vector<double>>();
    Tensor t = shape.empty() ? scalar(data.at(0), DType::f64) : from_vector<double>(data, shape);
    f.t[key] = key == "targets" ? t.to(DType::i64) : t;
  }
  return f;
}

// Largest |a - b| / (1 + |b|) over the comparisons of one fixture run.
struct Agreement {
  double worst = 0.0;
  std::string where;
  void compare(const std::string& name, const Tensor& ours, const Tensor& torch) {
    INFO(name << ": ours " << shape_str(ours.shape()) << " vs torch " << shape_str(torch.shape()));
    REQUIRE(ours.defined());
    REQUIRE(ours.shape() == torch.shape());
    const Tensor a = ours.to(DType::f64);
    const double err = max(abs(a - torch) / (abs(torch) + 1.0)).item();
    if (err > worst) worst = err, where = name;
  }
};

void report(const std::string& what, const Agreement& a) {
  if (std::getenv("WENGERT_FIXTURE_REPORT"))
    std::printf("fixture %-32s max rel diff %.3g (%s)\n", what.c_str(), a.worst, a.where.c_str());
}

Agreement run_recurrent(const std::string& name, DType dtype, bool fused) {
  const Fixture fx = load_fixture(name);
  const auto& c = fx.config;
  const CellKind kind = parse_cell_kind(c.at("kind").get<std::string>());
  const std::int64_t layers = c.at("num_layers");
  const bool lstm = kind == CellKind::lstm;
  Generator gen(0);
  // The options (absent from the fixtures written before they existed: PyTorch's defaults).
  const RecurrentOptions options{.bias = c.value("bias", true),
                                 .batch_first = c.value("batch_first", false),
                                 .bidirectional = c.value("bidirectional", false),
                                 .dtype = dtype};
  Recurrent rnn(kind, c.at("input_size"), c.at("hidden_size"), layers, gen, options);
  rnn.fused = fused;
  // Every PyTorch parameter by its name, no more and no less (load_state_dict is strict).
  NamedTensors weights;
  for (const auto& [key, t] : fx.t)
    if (key.starts_with("weight_") || key.starts_with("bias_"))
      weights.emplace_back(key, t.to(dtype));
  rnn.load_state_dict(weights);

  const Var x(fx.t.at("x").to(dtype), true);
  const Var h0(fx.t.at("h0").to(dtype), true);  // [L,B,H]
  const Var c0 = lstm ? Var(fx.t.at("c0").to(dtype), true) : Var();
  const auto out = rnn.forward(x, {h0, c0}, gen);
  const Var h_n = out.state.h;
  // loss = sum(output * proj_output) + sum(h_n * proj_h) [+ sum(c_n * proj_c)]
  Var loss = sum(out.output * Var(fx.t.at("proj_output").to(dtype))) +
             sum(h_n * Var(fx.t.at("proj_h").to(dtype)));
  Var c_n;
  if (lstm) {
    c_n = out.state.c;
    loss = loss + sum(c_n * Var(fx.t.at("proj_c").to(dtype)));
  }
  loss.backward();

  Agreement a;
  a.compare("output", out.output.value(), fx.t.at("output"));
  a.compare("h_n", h_n.value(), fx.t.at("h_n"));
  a.compare("loss", loss.value(), fx.t.at("loss"));
  a.compare("grad.x", x.grad(), fx.t.at("grad.x"));
  a.compare("grad.h0", h0.grad(), fx.t.at("grad.h0"));
  if (lstm) {
    a.compare("c_n", c_n.value(), fx.t.at("c_n"));
    a.compare("grad.c0", c0.grad(), fx.t.at("grad.c0"));
  }
  for (const auto& [pname, p] : rnn.named_parameters())
    a.compare("grad." + pname, p.grad(), fx.t.at("grad." + pname));
  return a;
}

const char* const kRecurrentFixtures[] = {
    "rnn_tanh_l1", "rnn_tanh_l2", "rnn_relu_l1", "rnn_relu_l2", "gru_l1", "gru_l2", "lstm_l1",
    "lstm_l2",
    // the layer options: bias=False, batch_first, bidirectional, and all three at once
    "rnn_tanh_nobias_l2", "gru_nobias_l2", "lstm_nobias_l2", "rnn_tanh_batch_first_l2",
    "gru_batch_first_l2", "lstm_batch_first_l2", "rnn_tanh_bidir_l2", "gru_bidir_l2",
    "lstm_bidir_l2", "rnn_tanh_bidir_nobias_batch_first_l2", "gru_bidir_nobias_batch_first_l2",
    "lstm_bidir_nobias_batch_first_l2"};
}  // namespace

TEST_CASE("recurrent layers agree with PyTorch", "[fixtures]") {
  for (const char* name : kRecurrentFixtures) {
    for (bool fused : {false, true}) {
      for (DType dtype : {DType::f32, DType::f64}) {
        const std::string what =
            std::string(name) + (fused ? " fused " : " composed ") + std::string(dtype_name(dtype));
        INFO(what);
        const Agreement a = run_recurrent(name, dtype, fused);
        INFO("worst: " << a.where);
        CHECK(a.worst < (dtype == DType::f32 ? 1e-5 : 1e-10));
        report(what, a);
      }
    }
  }
}

TEST_CASE("cell modules agree with PyTorch's first step", "[fixtures]") {
  // With layer 0's weights, one cell step on x[0] from h0[0] gives output[0] of a 1-layer fixture.
  for (const char* name : {"rnn_tanh_l1", "rnn_relu_l1", "gru_l1", "lstm_l1"}) {
    INFO(name);
    const Fixture fx = load_fixture(name);
    const CellKind kind = parse_cell_kind(fx.config.at("kind").get<std::string>());
    const std::int64_t in = fx.config.at("input_size"), hidden = fx.config.at("hidden_size");
    Generator gen(0);
    std::unique_ptr<CellModule> cell;
    if (kind == CellKind::gru)
      cell = std::make_unique<GRUCell>(in, hidden, gen, DType::f64);
    else if (kind == CellKind::lstm)
      cell = std::make_unique<LSTMCell>(in, hidden, gen, DType::f64);
    else
      cell = std::make_unique<RNNCell>(in, hidden, gen,
                                       kind == CellKind::rnn_relu ? "relu" : "tanh", DType::f64);
    NamedTensors weights;
    for (const auto& [pname, p] : cell->named_parameters())
      weights.emplace_back(pname, fx.t.at(pname + "_l0"));
    cell->load_state_dict(weights);
    const Var x0(fx.t.at("x")[0]), h0(fx.t.at("h0")[0]);
    const Var c0 = kind == CellKind::lstm ? Var(fx.t.at("c0")[0]) : Var();
    const CellState s = cell->step(x0, {h0, c0});
    CHECK(max_abs_diff(s.h.value(), fx.t.at("output")[0]) < 1e-12);
  }
}

TEST_CASE("Linear + cross-entropy agrees with PyTorch", "[fixtures]") {
  const Fixture fx = load_fixture("linear_cross_entropy");
  for (DType dtype : {DType::f32, DType::f64}) {
    INFO(dtype_name(dtype));
    Generator gen(0);
    Linear lin(fx.config.at("in"), fx.config.at("out"), gen, true, dtype);
    lin.load_state_dict(
        {{"weight", fx.t.at("weight").to(dtype)}, {"bias", fx.t.at("bias").to(dtype)}});
    const Var x(fx.t.at("x").to(dtype), true);
    const Var logits = lin.forward(x);
    const Var loss = cross_entropy(logits, fx.t.at("targets"));
    loss.backward();
    Agreement a;
    a.compare("logits", logits.value(), fx.t.at("logits"));
    a.compare("loss", loss.value(), fx.t.at("loss"));
    a.compare("grad.x", x.grad(), fx.t.at("grad.x"));
    a.compare("grad.weight", lin.weight().grad(), fx.t.at("grad.weight"));
    a.compare("grad.bias", lin.bias().grad(), fx.t.at("grad.bias"));
    CHECK(a.worst < (dtype == DType::f32 ? 1e-5 : 1e-10));
    report(std::string("linear_cross_entropy ") + std::string(dtype_name(dtype)), a);

    // The same weights as a SoftmaxDecoder: nll_loss(log_probs) is the same loss.
    SoftmaxDecoder dec(fx.config.at("in"), fx.config.at("out"), gen, dtype);
    dec.load_state_dict(lin.state_dict());
    const Var nll = nll_loss(dec.log_probs(Var(fx.t.at("x").to(dtype))), fx.t.at("targets"));
    CHECK(nll.item() == Approx(fx.t.at("loss").item()).epsilon(1e-5));
  }
}

TEST_CASE("LayerNorm agrees with PyTorch", "[fixtures]") {
  for (const char* name : {"layer_norm_1d", "layer_norm_2d"}) {
    const Fixture fx = load_fixture(name);
    for (DType dtype : {DType::f32, DType::f64}) {
      const std::string what = std::string(name) + " " + std::string(dtype_name(dtype));
      INFO(what);
      LayerNorm ln(fx.config.at("normalized_shape").get<Shape>(),
                   {.eps = fx.config.at("eps").get<double>(), .dtype = dtype});
      ln.load_state_dict(
          {{"weight", fx.t.at("weight").to(dtype)}, {"bias", fx.t.at("bias").to(dtype)}});
      const Var x(fx.t.at("x").to(dtype), true);
      const Var y = ln.forward(x);
      const Var loss = sum(y * Var(fx.t.at("proj").to(dtype)));
      loss.backward();
      Agreement a;
      a.compare("y", y.value(), fx.t.at("y"));
      a.compare("loss", loss.value(), fx.t.at("loss"));
      a.compare("grad.x", x.grad(), fx.t.at("grad.x"));
      a.compare("grad.weight", ln.weight().grad(), fx.t.at("grad.weight"));
      a.compare("grad.bias", ln.bias().grad(), fx.t.at("grad.bias"));
      CHECK(a.worst < (dtype == DType::f32 ? 1e-5 : 1e-10));
      report(what, a);
    }
  }
}

TEST_CASE("layer_norm_composed (the fused op's twin) agrees with PyTorch", "[fixtures]") {
  for (const char* name : {"layer_norm_1d", "layer_norm_2d"}) {
    INFO(name);
    const Fixture fx = load_fixture(name);
    const Var x(fx.t.at("x"), true), w(fx.t.at("weight"), true), b(fx.t.at("bias"), true);
    const Var y = layer_norm_composed(x, fx.config.at("normalized_shape").get<Shape>(), w, b,
                                      fx.config.at("eps").get<double>());
    sum(y * Var(fx.t.at("proj"))).backward();
    Agreement a;
    a.compare("y", y.value(), fx.t.at("y"));
    a.compare("grad.x", x.grad(), fx.t.at("grad.x"));
    a.compare("grad.weight", w.grad(), fx.t.at("grad.weight"));
    a.compare("grad.bias", b.grad(), fx.t.at("grad.bias"));
    CHECK(a.worst < 1e-10);
  }
}
