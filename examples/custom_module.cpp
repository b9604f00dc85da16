// A custom module in a few lines: a pre-norm residual MLP block (y = x + MLP(LayerNorm(x))) inside
// a tiny classifier. Register the parts in the constructor, write forward(), and the Module base
// gives dotted parameter names, a summary, train/eval, zero_grad and checkpoints for free.
// nn::Sequential chains layers without a class; AdamW gets two parameter groups (no weight decay
// on biases and norm parameters) and a linear warmup followed by a cosine decay, stepped per
// optimizer step.
#include <iostream>
#include <memory>
#include <wengert/nn.hpp>

using namespace wengert;

struct Residual : nn::Module {
  std::shared_ptr<nn::LayerNorm> norm;
  std::shared_ptr<nn::Sequential> mlp;
  Residual(std::int64_t dim, std::int64_t hidden, Generator& gen)
      : norm(register_module("norm", std::make_shared<nn::LayerNorm>(Shape{dim}))),
        mlp(register_module("mlp", std::make_shared<nn::Sequential>())) {
    mlp->push_back("up", std::make_shared<nn::Linear>(dim, hidden, gen));
    mlp->push_back("act", [](const Var& x) { return relu(x); });
    mlp->push_back("drop", std::make_shared<nn::Dropout>(0.1));
    mlp->push_back("down", std::make_shared<nn::Linear>(hidden, dim, gen));
  }
  Var forward(const Var& x, Generator& gen) const {
    return x + mlp->forward(norm->forward(x), gen);
  }
};

struct Classifier : nn::Module {
  std::shared_ptr<Residual> block;
  std::shared_ptr<nn::Linear> head;
  Classifier(std::int64_t dim, std::int64_t classes, Generator& gen)
      : block(register_module("block", std::make_shared<Residual>(dim, 4 * dim, gen))),
        head(register_module("head", std::make_shared<nn::Linear>(dim, classes, gen))) {}
  Var forward(const Var& x, Generator& gen) const { return head->forward(block->forward(x, gen)); }
};

int main() {
  Generator gen(42);
  Classifier model(8, 3, gen);
  std::cout << model.summary();

  // Weight decay on the weight matrices only; biases and LayerNorm parameters in a second group.
  const auto groups = nn::decay_groups(model, nn::AdamWOptions{.lr = 0.01, .weight_decay = 0.05});
  for (std::size_t g = 0; g < groups.size(); ++g)
    std::cout << "group " << g << ": " << groups[g].params.size()
              << " tensors, weight_decay = " << groups[g].options.weight_decay << "\n";
  nn::AdamW opt(groups);
  const int steps = 40;
  const auto schedule =
      nn::warmup_then(5, std::make_shared<nn::Cosine>(opt.initial_lr(0), steps - 5), 0.1);

  // Gradient steps on a fixed random batch: the loss must go down.
  const Var x(normal({16, 8}, 0, 1, gen));
  const Tensor y =
      from_vector<std::int64_t>({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, {16});
  double first = 0.0, last = 0.0;
  for (int step = 0; step < steps; ++step) {
    schedule->apply(opt, step);  // per optimizer step
    opt.zero_grad();
    const Var loss = nn::cross_entropy(model.forward(x, gen), y);
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item();
  }
  model.eval();  // dropout off
  last = nn::cross_entropy(model.forward(x, gen), y).item();
  std::cout << "loss " << first << " -> " << last << " (eval), lr at the end " << opt.lr(0) << " / "
            << opt.lr(1) << "\n";
  return last < first ? 0 : 1;
}
