// The recurrent cells and layers: shapes, error messages, gradcheck of each cell (f64), the
// multi-layer state handling and dropout between layers, and fused == composed.
#include <catch2/catch.hpp>
#include <wengert/nn.hpp>

using namespace wengert;
using namespace wengert::nn;
using Catch::Contains;

TEST_CASE("cell kinds parse and print", "[recurrent]") {
  CHECK(parse_cell_kind("rnn") == CellKind::rnn_tanh);
  CHECK(parse_cell_kind("rnn_relu") == CellKind::rnn_relu);
  for (CellKind k : {CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::gru, CellKind::lstm})
    CHECK(parse_cell_kind(cell_kind_name(k)) == k);
  CHECK_THROWS_WITH(parse_cell_kind("transformer"), Contains("'transformer'"));
}

TEST_CASE("cells: PyTorch names and shapes, errors name the cell and the shapes", "[recurrent]") {
  Generator gen(1);
  LSTMCell lstm(3, 4, gen);
  std::vector<std::string> names;
  for (const auto& [name, p] : lstm.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  CHECK(lstm.weights().w_ih.shape() == Shape{16, 3});
  CHECK(lstm.weights().w_hh.shape() == Shape{16, 4});
  GRUCell gru(3, 4, gen);
  CHECK(gru.weights().b_hh.shape() == Shape{12});
  RNNCell rnn(3, 4, gen, "relu");
  CHECK(rnn.kind() == CellKind::rnn_relu);

  const Var x(normal({2, 3}, 0, 1, gen)), h(normal({2, 4}, 0, 1, gen)),
      c(normal({2, 4}, 0, 1, gen));
  auto [h1, c1] = lstm.forward(x, h, c);
  CHECK(h1.shape() == Shape{2, 4});
  CHECK(c1.shape() == Shape{2, 4});
  CHECK(gru.forward(x, h).shape() == Shape{2, 4});
  CHECK(min(rnn.forward(x, h).value()).item() >= 0.0);  // relu
  // An undefined state means zeros.
  CHECK(equal(gru.forward(x, Var()).value(), gru.forward(x, Var(zeros({2, 4}))).value()));

  CHECK_THROWS_WITH(lstm.forward(Var(zeros({2, 5})), h, c),
                    Contains("LSTMCell(3, 4)") && Contains("[2, 5]"));
  CHECK_THROWS_WITH(gru.forward(x, Var(zeros({3, 4}))), Contains("GRUCell(3, 4)") &&
                                                            Contains("h must be [2, 4]") &&
                                                            Contains("[3, 4]"));
  CHECK_THROWS_WITH(RNNCell(3, 4, gen, "sigmoid"), Contains("RNNCell") && Contains("sigmoid"));
}

TEST_CASE("gradcheck of each cell in f64", "[recurrent][gradcheck]") {
  Generator gen(2);
  const std::int64_t b = 2, i = 3, h = 2;
  const auto inputs = [&](std::int64_t gates) {
    return std::vector<Tensor>{normal({b, i}, 0, 1, gen, DType::f64),
                               normal({b, h}, 0, 1, gen, DType::f64),
                               normal({gates * h, i}, 0, 0.7, gen, DType::f64),
                               normal({gates * h, h}, 0, 0.7, gen, DType::f64),
                               normal({gates * h}, 0, 0.5, gen, DType::f64),
                               normal({gates * h}, 0, 0.5, gen, DType::f64),
                               normal({b, h}, 0, 1, gen, DType::f64)};
  };
  const auto weights = [](const std::vector<Var>& v) {
    return CellWeights{v[2], v[3], v[4], v[5]};
  };
  SECTION("rnn tanh") {
    auto r = gradcheck([&](const auto& v) { return rnn_cell(v[0], v[1], weights(v)); }, inputs(1));
    INFO(r.report());
    CHECK(r);
  }
  SECTION("rnn relu") {
    auto r =
        gradcheck([&](const auto& v) { return rnn_cell(v[0], v[1], weights(v), true); }, inputs(1));
    INFO(r.report());
    CHECK(r);
  }
  SECTION("gru") {
    auto r = gradcheck([&](const auto& v) { return gru_cell(v[0], v[1], weights(v)); }, inputs(3));
    INFO(r.report());
    CHECK(r);
  }
  SECTION("lstm h and c") {
    auto r = gradcheck(
        [&](const auto& v) {
          const CellState s = lstm_cell(v[0], {v[1], v[6]}, weights(v));
          return concat({s.h, s.c}, 1);
        },
        inputs(4));
    INFO(r.report());
    CHECK(r);
  }
  SECTION("lstm over 3 steps (run_cell)") {
    const Tensor xs = normal({3, b, i}, 0, 1, gen, DType::f64);
    auto in = inputs(4);
    in[0] = xs;
    auto r = gradcheck(
        [&](const auto& v) {
          struct Step {
            CellWeights w;
            CellState step(const Var& x, const CellState& s) const { return lstm_cell(x, s, w); }
          };
          auto [hs, last] = run_cell(Step{weights(v)}, v[0], CellState{v[1], v[6]});
          return concat({reshape(hs, {-1}), reshape(last.c, {-1})}, 0);
        },
        in);
    INFO(r.report());
    CHECK(r);
  }
}

TEST_CASE("Recurrent: PyTorch parameter names, shapes and state", "[recurrent]") {
  Generator gen(3);
  LSTM lstm(3, 4, 2, gen);
  lstm.fused = false;
  const auto named = lstm.named_parameters();
  REQUIRE(named.size() == 8);
  CHECK(named[0].first == "weight_ih_l0");
  CHECK(named[0].second.shape() == Shape{16, 3});
  CHECK(named[3].first == "bias_hh_l0");
  CHECK(named[4].first == "weight_ih_l1");
  CHECK(named[4].second.shape() == Shape{16, 4});
  GRU gru(3, 5, 1, gen);
  CHECK(gru.named_parameters()[1].second.shape() == Shape{15, 5});
  RNN rnn(3, 5, 3, gen, "relu");
  CHECK(rnn.kind() == CellKind::rnn_relu);
  CHECK(rnn.parameters().size() == 12);

  const Var x(normal({5, 2, 3}, 0, 1, gen));
  auto out = lstm.forward(x, {}, gen);
  CHECK(out.output.shape() == Shape{5, 2, 4});
  CHECK(out.state.h.shape() == Shape{2, 2, 4});  // [L, B, H] as PyTorch's h_n
  CHECK(out.state.c.shape() == Shape{2, 2, 4});
  // The last layer's final h is the last output row.
  CHECK(equal(out.state.h.value()[1], out.output.value()[4]));
  // Continuing from the returned state equals running the longer sequence at once.
  auto first = lstm.forward(Var(x.value().slice(0, 0, 3)), {}, gen);
  auto rest = lstm.forward(Var(x.value().slice(0, 3, 5)), first.state, gen);
  CHECK(max_abs_diff(rest.output.value(), out.output.value().slice(0, 3, 5)) < 1e-6);
  // An explicit zero state equals the empty one.
  auto zero = lstm.forward(x, lstm.initial_state(2), gen);
  CHECK(equal(zero.output.value(), out.output.value()));
  const RecurrentState detached = out.state.detach();
  CHECK(detached.h.is_leaf());
  CHECK(!detached.h.requires_grad());
  CHECK(!detached.empty());
  CHECK(RecurrentState{}.empty());
}

TEST_CASE("Recurrent errors name the layer and the shapes", "[recurrent]") {
  Generator gen(4);
  LSTM lstm(3, 4, 2, gen);
  GRU gru(3, 4, 2, gen);
  lstm.fused = gru.fused = false;
  const Var x(zeros({5, 2, 3}));
  CHECK_THROWS_WITH(
      lstm.forward(Var(zeros({5, 2, 7})), {}, gen),
      Contains("LSTM(I=3, H=4, layers=2)") && Contains("[T, B, 3]") && Contains("[5, 2, 7]"));
  CHECK_THROWS_WITH(lstm.forward(Var(zeros({2, 3})), {}, gen), Contains("[2, 3]"));
  CHECK_THROWS_WITH(lstm.forward(Var(zeros({5, 2, 3}, DType::f64)), {}, gen), Contains("f64"));
  RecurrentState one_layer{Var(zeros({1, 2, 4})), Var(zeros({1, 2, 4}))};
  CHECK_THROWS_WITH(lstm.forward(x, one_layer, gen),
                    Contains("state.h must be [2, 2, 4]") && Contains("got [1, 2, 4]"));
  RecurrentState no_c = lstm.initial_state(2);
  no_c.c = Var();
  CHECK_THROWS_WITH(lstm.forward(x, no_c, gen), Contains("state.c") && Contains("undefined"));
  RecurrentState bad_batch = gru.initial_state(3);
  CHECK_THROWS_WITH(gru.forward(x, bad_batch, gen),
                    Contains("GRU(") && Contains("[2, 2, 4]") && Contains("[2, 3, 4]"));
  RecurrentState with_c = lstm.initial_state(2);
  CHECK_THROWS_WITH(gru.forward(x, with_c, gen), Contains("state.c must be undefined"));
  CHECK_THROWS_WITH(RNN(3, 4, 1, gen, "gelu"), Contains("gelu"));
  CHECK_THROWS_WITH(LSTM(3, 4, 0, gen), Contains("num_layers = 0"));
}

TEST_CASE("Recurrent: dropout between layers only while training", "[recurrent]") {
  Generator gen(5);
  GRU noisy(3, 4, 2, gen, {.dropout = 0.5});
  GRU clean(3, 4, 2, gen);
  noisy.fused = clean.fused = false;
  clean.load_state_dict(noisy.state_dict());
  const Var x(normal({4, 2, 3}, 0, 1, gen));
  const Tensor reference = clean.forward(x, {}, gen).output.value();
  CHECK(max_abs_diff(noisy.forward(x, {}, gen).output.value(), reference) > 1e-3);
  noisy.eval();
  CHECK(equal(noisy.forward(x, {}, gen).output.value(), reference));
  // A 1-layer RNN has no dropout to apply.
  RNN single(3, 4, 1, gen, "tanh", {.dropout = 0.9});
  RNN single_clean(3, 4, 1, gen);
  single.fused = single_clean.fused = false;
  single_clean.load_state_dict(single.state_dict());
  CHECK(equal(single.forward(x, {}, gen).output.value(),
              single_clean.forward(x, {}, gen).output.value()));
}

// The fused kernels' own tests live in test_fused*.cpp; this checks the Recurrent wiring
// (slicing c_T off the LSTM's extra row, layer stacking) against the composed path.
TEST_CASE("Recurrent: fused and composed agree on a 2-layer LSTM", "[recurrent][fused]") {
  Generator gen(6);
  for (CellKind kind : {CellKind::lstm, CellKind::gru, CellKind::rnn_tanh}) {
    Recurrent rnn(kind, 3, 5, 2, gen, {.dtype = DType::f64});
    const Tensor x = normal({4, 2, 3}, 0, 1, gen, DType::f64);
    RecurrentState s0 = rnn.initial_state(2);
    s0.h = Var(normal({2, 2, 5}, 0, 1, gen, DType::f64));
    const Tensor proj = normal({4, 2, 5}, 0, 1, gen, DType::f64);
    std::vector<Tensor> values, grads;
    for (bool fused : {false, true}) {
      rnn.fused = fused;
      rnn.zero_grad();
      Var xv(x, true);
      auto out = rnn.forward(xv, s0, gen);
      Var loss = sum(out.output * Var(proj)) + sum(out.state.h * 0.5);
      if (kind == CellKind::lstm) loss = loss + sum(out.state.c * 0.25);
      loss.backward();
      values.push_back(out.output.value());
      values.push_back(out.state.h.value());
      if (kind == CellKind::lstm) values.push_back(out.state.c.value());
      grads.push_back(xv.grad());
      for (const Var& p : rnn.parameters()) grads.push_back(p.grad());
    }
    INFO(cell_kind_name(kind));
    const std::size_t nv = values.size() / 2, ng = grads.size() / 2;
    for (std::size_t i = 0; i < nv; ++i) CHECK(max_abs_diff(values[i], values[nv + i]) < 1e-10);
    for (std::size_t i = 0; i < ng; ++i) CHECK(max_abs_diff(grads[i], grads[ng + i]) < 1e-10);
  }
}

TEST_CASE("Recurrent: token ids act as one-hot rows, fused and composed", "[recurrent][fused]") {
  Generator gen(8);
  for (CellKind kind : {CellKind::lstm, CellKind::gru, CellKind::rnn_tanh}) {
    INFO(cell_kind_name(kind));
    const std::int64_t T = 4, B = 3, V = 6, H = 5;
    Recurrent rnn(kind, V, H, 2, gen, {.dtype = DType::f64});
    std::vector<std::int64_t> id_values(T * B);
    for (auto& id : id_values) id = static_cast<std::int64_t>(gen.below(V));
    const Tensor ids = from_vector<std::int64_t>(id_values, {T, B});
    const Tensor proj = normal({T, B, H}, 0, 1, gen, DType::f64);
    std::vector<Tensor> values, grads;
    // The reference: real one-hot rows through the composed cells; then ids, composed and fused.
    for (int run = 0; run < 3; ++run) {
      rnn.fused = run == 2;
      rnn.zero_grad();
      const Var x = run == 0 ? Var(one_hot(ids, V, DType::f64)) : Var(ids);
      auto out = rnn.forward(x, {}, gen);
      sum(out.output * Var(proj)).backward();
      values.push_back(out.output.value());
      for (const Var& p : rnn.parameters()) grads.push_back(p.grad());
    }
    const std::size_t ng = grads.size() / 3;
    for (int run = 1; run < 3; ++run) {
      CHECK(max_abs_diff(values[0], values[run]) < 1e-12);
      for (std::size_t i = 0; i < ng; ++i)
        CHECK(max_abs_diff(grads[i], grads[run * ng + i]) < 1e-12);
    }
  }
  Recurrent rnn(CellKind::gru, 6, 5, 1, gen);
  CHECK_THROWS_WITH(rnn.forward(Var(from_vector<std::int64_t>({0, 1, 2}, {3})), {}, gen),
                    Contains("token ids must be [T, B]"));
}

TEST_CASE("Recurrent options: PyTorch names and shapes for bidirectional, bias = false",
          "[recurrent]") {
  Generator gen(9);
  GRU gru(3, 4, 2, gen, {.bias = false, .bidirectional = true});
  std::vector<std::string> names;
  for (const auto& [name, p] : gru.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse",
                                          "weight_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1",
                                          "weight_ih_l1_reverse", "weight_hh_l1_reverse"});
  CHECK(gru.layer(1, 1).w_ih.shape() == Shape{12, 8});  // layer 1 reads both directions: 2H
  CHECK(!gru.layer(0).b_ih.defined());
  CHECK(gru.type_name() == "GRU(I=3, H=4, layers=2, bidirectional, no bias)");
  const auto out = gru.forward(Var(normal({5, 2, 3}, 0, 1, gen)));
  CHECK(out.output.shape() == Shape{5, 2, 8});
  CHECK(out.state.h.shape() == Shape{4, 2, 4});  // [L * D, B, H]
  CHECK(gru.initial_state(2).h.shape() == Shape{4, 2, 4});
  // h_n rows: l * D + d. The forward direction ends at t = T - 1, the reverse one at t = 0.
  const Tensor y = out.output.value(), h = out.state.h.value();
  CHECK(equal(h[2], y[4].slice(1, 0, 4)));
  CHECK(equal(h[3], y[0].slice(1, 4, 8)));
  LSTM batch_major(3, 4, 1, gen, {.batch_first = true});
  CHECK(batch_major.type_name() == "LSTM(I=3, H=4, layers=1, batch_first)");
  CHECK_THROWS_WITH(batch_major.forward(Var(zeros({2, 5, 4}))), Contains("[B, T, 3]"));
}

TEST_CASE("Recurrent options: the reverse direction is the forward cell on the reversed sequence",
          "[recurrent]") {
  // Independent of both implementations' reverse loops: flip the input by hand, run a
  // unidirectional layer holding the reverse weights, flip its output back.
  Generator gen(10);
  for (CellKind kind : {CellKind::rnn_tanh, CellKind::gru, CellKind::lstm}) {
    INFO(cell_kind_name(kind));
    Recurrent bi(kind, 3, 4, 1, gen, {.bidirectional = true, .dtype = DType::f64});
    Recurrent one(kind, 3, 4, 1, gen, {.dtype = DType::f64});
    const CellWeights& rw = bi.layer(0, 1);
    one.load_state_dict({{"weight_ih_l0", rw.w_ih.value()},
                         {"weight_hh_l0", rw.w_hh.value()},
                         {"bias_ih_l0", rw.b_ih.value()},
                         {"bias_hh_l0", rw.b_hh.value()}});
    const std::int64_t T = 5;
    const Tensor x = normal({T, 2, 3}, 0, 1, gen, DType::f64);
    std::vector<Tensor> flipped;
    for (std::int64_t t = T - 1; t >= 0; --t) flipped.push_back(x[t]);
    const Tensor reference = one.forward(Var(stack(flipped, 0))).output.value();
    for (bool fused : {false, true}) {
      INFO("fused " << fused);
      bi.fused = fused;
      const Tensor y = bi.forward(Var(x)).output.value();
      for (std::int64_t t = 0; t < T; ++t)
        CHECK(max_abs_diff(y[t].slice(1, 4, 8), reference[T - 1 - t]) < 1e-12);
    }
  }
}

TEST_CASE("Recurrent options: fused and composed agree, every option combination",
          "[recurrent][fused]") {
  Generator gen(12);
  for (CellKind kind : {CellKind::lstm, CellKind::gru, CellKind::rnn_relu})
    for (int combo = 0; combo < 8; ++combo) {
      const RecurrentOptions options{.bias = (combo & 1) == 0,
                                     .batch_first = (combo & 2) != 0,
                                     .bidirectional = (combo & 4) != 0,
                                     .dtype = DType::f64};
      Recurrent rnn(kind, 3, 5, 2, gen, options);
      INFO(rnn.type_name());
      const std::int64_t T = 4, B = 3, D = rnn.directions();
      const bool lstm = kind == CellKind::lstm;
      const Tensor x =
          normal(options.batch_first ? Shape{B, T, 3} : Shape{T, B, 3}, 0, 1, gen, DType::f64);
      const Tensor h0 = normal({2 * D, B, 5}, 0, 1, gen, DType::f64);
      const Tensor c0 = normal({2 * D, B, 5}, 0, 1, gen, DType::f64);
      const Tensor proj = normal(options.batch_first ? Shape{B, T, D * 5} : Shape{T, B, D * 5}, 0,
                                 1, gen, DType::f64);
      std::vector<Tensor> values, grads;
      for (bool fused : {false, true}) {
        rnn.fused = fused;
        rnn.zero_grad();
        const Var xv(x, true), hv(h0, true), cv(c0, true);
        auto out = rnn.forward(xv, {hv, lstm ? cv : Var()});
        Var loss = sum(out.output * Var(proj)) + sum(out.state.h * 0.5);
        if (lstm) loss = loss + sum(out.state.c * 0.25);
        loss.backward();
        values.push_back(out.output.value());
        values.push_back(out.state.h.value());
        if (lstm) values.push_back(out.state.c.value());
        grads.push_back(xv.grad());
        grads.push_back(hv.grad());
        if (lstm) grads.push_back(cv.grad());
        for (const Var& p : rnn.parameters()) grads.push_back(p.grad());
      }
      const std::size_t nv = values.size() / 2, ng = grads.size() / 2;
      for (std::size_t i = 0; i < nv; ++i) CHECK(max_abs_diff(values[i], values[nv + i]) < 1e-10);
      for (std::size_t i = 0; i < ng; ++i) {
        REQUIRE(grads[ng + i].defined());
        CHECK(max_abs_diff(grads[i], grads[ng + i]) < 1e-10);
      }
    }
}

TEST_CASE("Recurrent options: batch_first token ids, fused and composed", "[recurrent][fused]") {
  Generator gen(13);
  GRU gru(6, 5, 2, gen, {.batch_first = true, .bidirectional = true, .dtype = DType::f64});
  std::vector<std::int64_t> id_values(12);
  for (auto& id : id_values) id = static_cast<std::int64_t>(gen.below(6));
  const Tensor ids = from_vector<std::int64_t>(id_values, {3, 4});  // [B, T]
  const Tensor reference = gru.forward(Var(one_hot(ids, 6, DType::f64))).output.value();
  CHECK(reference.shape() == Shape{3, 4, 10});
  for (bool fused : {false, true}) {
    gru.fused = fused;
    CHECK(max_abs_diff(gru.forward(Var(ids)).output.value(), reference) < 1e-12);
  }
}
