// Data-parallel training of a custom model with wengert::dist: every rank holds a replica of the
// model, takes its share of each global batch, and the GradientReducer averages the gradients
// during the backward sweep, so every rank applies the same update as one process would.
//   ./example_data_parallel                                   # one process
//   mpirun -np 2 --oversubscribe ./example_data_parallel      # two (as root, Open MPI also wants
//                     OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
// The model fits y = x^2 - 0.3 with a small tanh network; the global batch is 64 points.
#include <cmath>
#include <iostream>
#include <wengert/dist.hpp>
#include <wengert/nn.hpp>

using namespace wengert;

class SineNet : public nn::Module {
 public:
  explicit SineNet(Generator& gen) {
    hidden_ = register_module("hidden", std::make_shared<nn::Linear>(1, 32, gen));
    out_ = register_module("out", std::make_shared<nn::Linear>(32, 1, gen));
  }
  Var forward(const Var& x) const { return out_->forward(tanh(hidden_->forward(x))); }

 private:
  std::shared_ptr<nn::Linear> hidden_, out_;
};

int main() {
  auto& world = dist::Communicator::world();
  const std::int64_t global_batch = 64;
  if (global_batch % world.size() != 0) {
    if (world.is_root()) std::cerr << "the global batch must divide among the ranks\n";
    return 1;
  }
  const std::int64_t local_batch = global_batch / world.size();

  Generator init(world.rank());  // deliberately different: the broadcast makes them equal
  SineNet model(init);
  dist::broadcast_parameters(world, model.parameters());
  dist::GradientReducer reducer(world, model.parameters());
  nn::SGD optimizer(model.parameters(), {.lr = 0.05, .momentum = 0.9});

  Generator data(2024);  // the same stream on every rank: each takes its own rows of a batch
  double loss_value = 0;
  for (int step = 1; step <= 400; ++step) {
    const Tensor x = uniform({global_batch, 1}, -1, 1, data);
    const Tensor y = x * x - 0.3;
    const Tensor my_x = x.narrow(0, world.rank() * local_batch, local_batch);
    const Tensor my_y = y.narrow(0, world.rank() * local_batch, local_batch);
    const Var residual = model.forward(Var(my_x)) - Var(my_y);
    const Var loss = mean(residual * residual);
    loss.backward();
    reducer.finish();  // grad = average over ranks = the gradient of the global batch's mean
    optimizer.step();
    optimizer.zero_grad();
    loss_value = world.allreduce_sum(loss.item()) / world.size();
    if (world.is_root() && step % 100 == 0) {
      std::cout << "step " << step << "  mean squared error " << loss_value << "\n";
    }
  }
  // Every replica must hold the same weights: compare each rank's checksum with rank 0's.
  double checksum = 0;
  for (const Var& p : model.parameters()) checksum += sum(p.value()).item();
  Tensor root_checksum = scalar(checksum, DType::f64);
  world.broadcast(root_checksum, 0);
  const bool same = world.allreduce_max(checksum == root_checksum.item() ? 0 : 1) == 0;
  if (world.is_root()) {
    std::cout << world.size() << " rank(s); replicas identical: " << (same ? "yes" : "NO")
              << "; communication waited " << reducer.stats().seconds_waiting << " s\n";
  }
  return same && loss_value < 0.01 ? 0 : 1;
}
