// Second derivatives: a Hessian-vector product checked against finite differences, then a
// gradient penalty (the squared norm of d loss / d input added to the loss, as in WGAN-GP or
// input-gradient regularisation) trained for a few steps. Both need the gradient itself to be
// differentiable: grad(..., {.create_graph = true}) records the backward sweep as a new graph.
#include <cmath>
#include <iostream>
#include <wengert/autograd.hpp>

using namespace wengert;

namespace {
// A two-layer network's loss on a fixed batch, as a function of its first weight matrix.
Var loss_of(const Var& w1, const Var& w2, const Tensor& x, const Tensor& targets) {
  return cross_entropy(matmul(tanh(matmul(Var(x), w1)), w2), targets);
}
}  // namespace

int main() {
  Generator gen(7);
  const Tensor x = normal({8, 4}, 0.0, 1.0, gen, DType::f64);
  const Tensor targets = from_vector<std::int64_t>({0, 1, 2, 1, 0, 2, 2, 1}, {8});
  Var w1(normal({4, 5}, 0.0, 0.5, gen, DType::f64), true, "W1");
  Var w2(normal({5, 3}, 0.0, 0.5, gen, DType::f64), true, "W2");

  // 1. Hessian-vector product H v = d/dW1 (dL/dW1 . v): one sweep with create_graph, one more.
  const Tensor v = normal(w1.shape(), 0.0, 1.0, gen, DType::f64);
  const Var g = grad({loss_of(w1, w2, x, targets)}, {w1}, {}, {.create_graph = true})[0];
  const Tensor hvp = grad({sum(g * v)}, {w1})[0].value();

  // Central differences of the gradient along v: (g(W1 + eps v) - g(W1 - eps v)) / (2 eps).
  const double eps = 1e-5;
  auto gradient_at = [&](const Tensor& w) {
    Var leaf(w, true);
    return grad({loss_of(leaf, w2.detach(), x, targets)}, {leaf})[0].value();
  };
  const Tensor numeric =
      (gradient_at(w1.value() + v * eps) - gradient_at(w1.value() - v * eps)) / (2.0 * eps);
  const double err = max(abs(hvp - numeric)).item() / max(abs(numeric)).item();
  std::cout << "Hessian-vector product: |Hv - finite differences| / |Hv| = " << err << "\n";
  if (!(err < 1e-6)) return 1;

  // 2. Gradient penalty: loss + lambda * mean over the batch of |d loss_i / d x_i|^2, trained by
  //    plain gradient descent. The penalty's gradient with respect to the weights goes through
  //    the first backward sweep, which is what create_graph makes possible.
  const double lambda = 1.0, lr = 0.5;
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 20; ++step) {
    Var input(x, true);
    const Var logits = matmul(tanh(matmul(input, w1)), w2);
    const Var loss = cross_entropy(logits, targets);
    const Var dx = grad({cross_entropy(logits, targets, {Reduction::sum})}, {input}, {},
                        {.create_graph = true})[0];
    const Var penalty = mean(sum(dx * dx, {1}));
    const Var total = loss + penalty * lambda;
    const auto dw = grad({total}, {w1, w2});
    {
      NoGradGuard no_grad;
      w1.mutable_value().sub_(dw[0].value() * lr);
      w2.mutable_value().sub_(dw[1].value() * lr);
    }
    if (step == 0) first = total.item();
    last = total.item();
    if (step % 5 == 0)
      std::cout << "step " << step << ": loss " << loss.item() << ", penalty " << penalty.item()
                << "\n";
  }
  std::cout << "loss + penalty: " << first << " -> " << last << "\n";
  return last < first ? 0 : 1;
}
