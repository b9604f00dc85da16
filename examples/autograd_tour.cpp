// A tour of wengert's autograd in five steps: build an expression, read the tape it recorded, draw
// the graph, run the reverse sweep, and let gradcheck confirm the gradients numerically.
// Writes autograd_tour.dot in the current directory (render: dot -Tsvg autograd_tour.dot -o
// tour.svg).
#include <fstream>
#include <iostream>
#include <wengert/autograd.hpp>

using namespace wengert;

int main() {
  Generator gen(42);

  // 1. Leaves: a tiny linear layer W [3, 2], b [2], applied to a batch x [4, 3] (a constant).
  Var x(normal({4, 3}, 0.0, 1.0, gen), false, "x");
  Var w(normal({3, 2}, 0.0, 0.5, gen), true, "W");
  Var b(zeros({2}), true, "b");
  Tensor targets = from_vector<std::int64_t>({0, 1, 1, 0}, {4});

  // 2. The expression. Every op whose inputs need a gradient appends one entry to this thread's
  //    tape; b broadcasts over the batch, and its gradient will be summed back to [2].
  Var h = tanh(matmul(x, w) + b);
  h.set_name("h");
  Var loss = cross_entropy(h * 3.0, targets);
  loss.set_name("loss");
  std::cout << "loss = " << loss.item() << "\n\n";

  // 3. The tape, in recording order (a topological order: backward walks it in reverse).
  std::cout << "tape:\n" << Tape::current() << "\n";

  // 4. The graph as Graphviz DOT: boxes are ops, double ellipses leaves that want gradients.
  std::ofstream("autograd_tour.dot") << to_dot(loss);
  std::cout << "wrote autograd_tour.dot\n\n";

  // 5. The reverse sweep fills W.grad() and b.grad(), then frees the entries it swept.
  loss.backward();
  std::cout << "dW = " << w.grad() << "\ndb = " << b.grad() << "\n\n";

  // 6. gradcheck recomputes the same gradients by central differences in f64.
  auto model = [&](const std::vector<Var>& p) {
    return cross_entropy(tanh(matmul(Var(x.value().to(DType::f64)), p[0]) + p[1]) * 3.0, targets);
  };
  GradcheckResult check = gradcheck(model, {w.value(), b.value()});
  std::cout << check.report() << "\n";
  return check.ok ? 0 : 1;
}
