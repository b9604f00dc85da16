// A custom module in a few lines: a residual MLP block (y = x + W2 relu(W1 x)) inside a tiny
// classifier. Register the parts in the constructor, write forward(), and the Module base gives
// dotted parameter names, a summary, train/eval, zero_grad and checkpoints for free.
#include <iostream>
#include <memory>
#include <wengert/nn.hpp>

using namespace wengert;

struct Residual : nn::Module {
  std::shared_ptr<nn::Linear> up, down;
  Residual(std::int64_t dim, std::int64_t hidden, Generator& gen)
      : up(register_module("up", std::make_shared<nn::Linear>(dim, hidden, gen))),
        down(register_module("down", std::make_shared<nn::Linear>(hidden, dim, gen))) {}
  Var forward(const Var& x) const { return x + down->forward(relu(up->forward(x))); }
};

struct Classifier : nn::Module {
  std::shared_ptr<Residual> block;
  std::shared_ptr<nn::Linear> head;
  Classifier(std::int64_t dim, std::int64_t classes, Generator& gen)
      : block(register_module("block", std::make_shared<Residual>(dim, 4 * dim, gen))),
        head(register_module("head", std::make_shared<nn::Linear>(dim, classes, gen))) {}
  Var forward(const Var& x) const { return head->forward(block->forward(x)); }
};

int main() {
  Generator gen(42);
  Classifier model(8, 3, gen);
  std::cout << model.summary();
  for (const auto& [name, p] : model.named_parameters())
    std::cout << name << " " << shape_str(p.shape()) << "\n";

  // A few gradient steps on a fixed random batch: the loss must go down.
  const Var x(normal({16, 8}, 0, 1, gen));
  const Tensor y =
      from_vector<std::int64_t>({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, {16});
  nn::SGD sgd(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 20; ++step) {
    sgd.zero_grad();
    const Var loss = nn::cross_entropy(model.forward(x), y);
    loss.backward();
    sgd.step();
    if (step == 0) first = loss.item();
    last = loss.item();
  }
  std::cout << "loss " << first << " -> " << last << "\n";
  return last < first ? 0 : 1;
}
