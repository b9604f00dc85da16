// Sequence task: add two D-digit numbers digit by digit. At step t the LSTM reads the pair of
// t-th least significant digits (one token a*10+b) and a SoftmaxDecoder predicts the t-th digit
// of the sum, which depends on the carry it must remember; one extra (0, 0) step emits the final
// carry. Trained with cross_entropy + Adam; exits non-zero unless the held-out accuracy (whole
// sums exactly right, greedy decoding) reaches the threshold. Deterministic from the seed.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>
#include <wengert/nn.hpp>

using namespace wengert;

constexpr std::int64_t kDigits = 6;  // training length; T = D + 1 (the carry-out step)
constexpr double kThreshold = 0.95;

struct Adder : nn::Module {
  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::LSTM> rnn;
  std::shared_ptr<nn::SoftmaxDecoder> decoder;
  Adder(std::int64_t hidden, Generator& gen)
      : embed(register_module("embed", std::make_shared<nn::Embedding>(100, 16, gen))),
        rnn(register_module("rnn", std::make_shared<nn::LSTM>(16, hidden, 1, gen))),
        decoder(register_module("decoder", std::make_shared<nn::SoftmaxDecoder>(hidden, 10, gen))) {
  }
  // tokens i64 [T,B] -> logits [T,B,10]
  Var forward(const Tensor& tokens, Generator& gen) const {
    return decoder->forward(rnn->forward(embed->forward(tokens), {}, gen).output);
  }
};

// A batch of random problems: tokens [T,B] (pairs of digits, least significant first) and the
// digits of the sums [T,B].
struct Batch {
  Tensor tokens, targets;
};
Batch make_batch(std::int64_t batch, std::int64_t digits, Generator& gen) {
  const std::int64_t steps = digits + 1;
  std::vector<std::int64_t> tokens(steps * batch), targets(steps * batch);
  for (std::int64_t b = 0; b < batch; ++b) {
    std::int64_t carry = 0;
    for (std::int64_t t = 0; t < steps; ++t) {
      const auto a = t < digits ? static_cast<std::int64_t>(gen.below(10)) : 0;
      const auto c = t < digits ? static_cast<std::int64_t>(gen.below(10)) : 0;
      tokens[t * batch + b] = 10 * a + c;
      targets[t * batch + b] = (a + c + carry) % 10;
      carry = (a + c + carry) / 10;
    }
  }
  return {from_vector<std::int64_t>(tokens, {steps, batch}),
          from_vector<std::int64_t>(targets, {steps, batch})};
}

// Fraction of sums whose every digit the greedy decoder gets right.
double accuracy(Adder& model, const Batch& data, Generator& gen) {
  NoGradGuard no_grad;
  model.eval();
  const Tensor logits = model.forward(data.tokens, gen).value();  // [T,B,10]
  model.train();
  const Tensor right = eq(argmax(logits, 2), data.targets).to(DType::f64);  // [T,B]
  const auto steps = static_cast<double>(data.targets.size(0));
  return mean(eq(sum(right, {0}), full({1}, steps, DType::f64))).item();
}

int main() {
  Generator gen(2024);
  Adder model(32, gen);
  std::cout << model.summary();
  nn::Adam adam(model.parameters(), {.lr = 1e-2});
  const Batch held_out = make_batch(1000, kDigits, gen);
  double acc = 0.0;
  for (int step = 1; step <= 3000; ++step) {
    const Batch batch = make_batch(32, kDigits, gen);
    adam.zero_grad();
    const Var loss = nn::cross_entropy(model.forward(batch.tokens, gen), batch.targets);
    loss.backward();
    nn::clip_grad_norm(model.parameters(), 1.0);
    adam.step();
    if (step % 100 == 0) {
      acc = accuracy(model, held_out, gen);
      std::cout << "step " << step << "  loss " << loss.item() << "  held-out accuracy " << acc
                << "\n";
      if (acc >= 0.995) break;
    }
  }
  // The same weights on longer numbers than it was trained on (reported, not checked).
  std::cout << "accuracy on 12-digit sums " << accuracy(model, make_batch(1000, 12, gen), gen)
            << "\n";
  std::cout << "final held-out accuracy " << acc << " (threshold " << kThreshold << ")\n";
  return acc >= kThreshold ? EXIT_SUCCESS : EXIT_FAILURE;
}
