// wengert::dist under `mpirun -np N` (ctest runs N = 1 and 2). Every rank checks its own result
// against a reference it computes alone: hand sums for the collectives, and the full-batch
// gradient of one process for the reducer (data parallelism must change nothing but speed).
#include <mpi.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <wengert/dist.hpp>
#include <wengert/nn.hpp>

using namespace wengert;

namespace {

dist::Communicator& world() { return dist::Communicator::world(); }

// A two-layer perceptron: y = tanh(x W1 + b1) W2 + b2, loss = mean over rows of sum(y^2).
struct Mlp {
  nn::Linear first, second;
  explicit Mlp(Generator& gen)
      : first(5, 7, gen, true, DType::f64), second(7, 3, gen, true, DType::f64) {}
  std::vector<Var> parameters() const {
    auto p = first.parameters();
    for (const Var& q : second.parameters()) p.push_back(q);
    return p;
  }
  Var loss(const Tensor& rows) const {
    const Var y = second.forward(tanh(first.forward(Var(rows))));
    return sum(y * y) * (1.0 / static_cast<double>(rows.size(0)));
  }
};

}  // namespace

TEST_CASE("allreduce_sum adds every rank's values, for each dtype") {
  const int n = world().size();
  for (DType dtype : {DType::f32, DType::f64, DType::i64}) {
    Tensor t = full({2, 3}, world().rank() + 1, dtype);
    world().allreduce_sum(t);
    const double expected = n * (n + 1) / 2.0;  // 1 + 2 + ... + n
    for (double v : t.to(DType::f64).to_vector<double>()) CHECK(v == expected);
  }
  CHECK(world().allreduce_sum(0.5) == 0.5 * n);
  CHECK(world().allreduce_max(static_cast<std::int64_t>(world().rank())) == n - 1);
}

// Read through MPI's tool interface, independently of the communicator's own code.
TEST_CASE("the communicator makes Open MPI's non-blocking allreduce Rabenseifner's, unless told") {
  world();  // constructed: MPI is initialized and the choice made
  int provided = 0, index = 0, count = 0, algorithm = -1;
  REQUIRE(MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) == MPI_SUCCESS);
  MPI_T_cvar_handle handle{};
  if (MPI_T_cvar_get_index("coll_libnbc_iallreduce_algorithm", &index) != MPI_SUCCESS) {
    MPI_T_finalize();
    WARN("no coll_libnbc_iallreduce_algorithm: not Open MPI; nothing to check");
    return;
  }
  REQUIRE(MPI_T_cvar_handle_alloc(index, nullptr, &handle, &count) == MPI_SUCCESS);
  REQUIRE(MPI_T_cvar_read(handle, &algorithm) == MPI_SUCCESS);
  MPI_T_cvar_handle_free(&handle);
  MPI_T_finalize();
  const char* chosen = std::getenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm");
  CHECK(algorithm == (chosen != nullptr ? std::atoi(chosen) : 3));  // 3: Rabenseifner
}

TEST_CASE("broadcast gives every rank the root's values; bad arguments are errors") {
  Generator gen(7);
  const Tensor reference = normal({4, 4}, 0, 1, gen, DType::f64);  // the same on every rank
  Tensor t = world().is_root() ? reference.clone() : zeros({4, 4}, DType::f64);
  world().broadcast(t, 0);
  CHECK(max_abs_diff(t, reference) == 0);
  Tensor strided = zeros({4, 4}).t();
  CHECK_THROWS_WITH(world().allreduce_sum(strided),
                    "dist: allreduce_sum: the tensor [4, 4] must be contiguous (call "
                    ".contiguous() first)");
  CHECK_THROWS_WITH(world().broadcast(t, world().size()),
                    "dist: broadcast: root " + std::to_string(world().size()) +
                        " is not a rank of a world of " + std::to_string(world().size()));
}

TEST_CASE("GradientReducer: N ranks on N shards give the full-batch gradient") {
  const int n = world().size(), rank = world().rank();
  Generator data_gen(11);
  const std::int64_t rows_per_rank = 3;
  const Tensor batch = normal({rows_per_rank * n, 5}, 0, 1, data_gen, DType::f64);

  // Reference: one process, the whole batch.
  Generator init_a(5);
  Mlp alone(init_a);
  alone.loss(batch).backward();

  // Data parallel: rank 0's weights everywhere (other ranks start from other seeds), each rank
  // its shard, gradients averaged. Tiny buckets so that there are several, started in the sweep.
  Generator init_b(rank == 0 ? 5 : 100 + rank);
  Mlp mine(init_b);
  dist::broadcast_parameters(world(), mine.parameters());
  dist::ReducerOptions options;
  options.bucket_bytes = 8 * 21;  // W2 [7, 3] alone fills one
  dist::GradientReducer reducer(world(), mine.parameters(), options);
  CHECK(reducer.num_buckets() >= 3);
  for (int step = 0; step < 2; ++step) {  // the second step reuses the buckets
    for (const Var& p : mine.parameters()) p.zero_grad();
    mine.loss(batch.narrow(0, rank * rows_per_rank, rows_per_rank)).backward();
    reducer.finish();
    const auto expected = alone.parameters();
    const auto got = mine.parameters();
    for (std::size_t k = 0; k < got.size(); ++k) {
      INFO("parameter " << k << ", step " << step);
      CHECK(max_abs_diff(got[k].grad(), expected[k].grad()) < 1e-14);
    }
  }
  if (n > 1) CHECK(reducer.stats().buckets_started_in_sweep == 2 * reducer.num_buckets());
}

TEST_CASE("GradientReducer: the second layer's buckets start before the first layer's rules run") {
  if (world().size() == 1)
    return;  // alone, the reducer registers no hooks and communicates nothing
  Generator gen(7);
  Mlp mlp(gen);
  dist::ReducerOptions options;
  options.bucket_bytes = 8 * 21;  // W2 [7, 3] alone fills one
  dist::GradientReducer reducer(world(), mlp.parameters(), options);
  const Tensor rows = normal({3, 5}, 0, 1, gen, DType::f64);
  // An identity between the layers: its rule runs after every rule of the second layer and before
  // any of the first, and notes how many buckets were reducing by then.
  std::int64_t started_at_probe = -1;
  const Var h = tanh(mlp.first.forward(Var(rows)));
  const Var probe = record("probe", h.value(), {h}, kSaveNone, [&](auto& c) {
    started_at_probe = reducer.stats().buckets_started_in_sweep;
    c.add(0, c.dout);
  });
  const Var y = mlp.second.forward(probe);
  sum(y * y).backward();
  reducer.finish();
  CHECK(started_at_probe >= 1);
  CHECK(reducer.stats().buckets_started_in_sweep == reducer.num_buckets());
}

TEST_CASE("GradientReducer: gradients accumulated over sweeps are averaged as a whole") {
  const int n = world().size(), rank = world().rank();
  Generator data_gen(12);
  const Tensor first = normal({2 * n, 5}, 0, 1, data_gen, DType::f64);
  const Tensor second = normal({2 * n, 5}, 0, 1, data_gen, DType::f64);
  Generator init_a(6), init_b(6);
  Mlp alone(init_a), mine(init_b);
  alone.loss(first).backward();
  alone.loss(second).backward();  // accumulates

  dist::GradientReducer reducer(world(), mine.parameters());
  reducer.set_communicate(false);
  mine.loss(first.narrow(0, 2 * rank, 2)).backward();
  reducer.set_communicate(true);
  mine.loss(second.narrow(0, 2 * rank, 2)).backward();
  reducer.finish();
  const auto expected = alone.parameters();
  const auto got = mine.parameters();
  for (std::size_t k = 0; k < got.size(); ++k) {
    CHECK(max_abs_diff(got[k].grad(), expected[k].grad()) < 1e-14);
  }
}
