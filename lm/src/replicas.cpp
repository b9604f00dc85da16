// The two implementations of Replicas: one process, and MPI's world through wengert::dist. This
// is the only file of lm that knows whether MPI is there (WENGERT_LM_MPI, set by CMake when
// wengert::dist is built).
#include "wengert/lm/replicas.hpp"

#include <chrono>
#include <cstdlib>

#ifdef WENGERT_LM_MPI
#include <wengert/dist.hpp>
#endif

namespace wengert::lm {

namespace {

class NoAveraging final : public GradientAverager {
 public:
  void set_communicate(bool) override {}
  void finish() override {}
  double seconds_waiting() const override { return 0; }
};

class OneProcess final : public Replicas {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  double sum(double value) override { return value; }
  void sum(Tensor&) override {}
  void broadcast_from_root(const std::vector<Var>&) override {}
  std::unique_ptr<GradientAverager> gradient_averager(std::vector<Var>) override {
    return std::make_unique<NoAveraging>();
  }
  [[noreturn]] void abort(int code) override { std::exit(code); }
};

#ifdef WENGERT_LM_MPI

class ReducerAveraging final : public GradientAverager {
 public:
  ReducerAveraging(const dist::Communicator& world, std::vector<Var> params)
      : reducer_(world, std::move(params)) {}
  void set_communicate(bool on) override { reducer_.set_communicate(on); }
  void finish() override { reducer_.finish(); }
  double seconds_waiting() const override { return reducer_.stats().seconds_waiting; }

 private:
  dist::GradientReducer reducer_;
};

class MpiWorld final : public Replicas {
 public:
  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }
  void barrier() override {
    const auto start = std::chrono::steady_clock::now();
    world_.barrier();
    count(start);
  }
  double sum(double value) override {
    const auto start = std::chrono::steady_clock::now();
    value = world_.allreduce_sum(value);
    count(start);
    return value;
  }
  void sum(Tensor& t) override {
    const auto start = std::chrono::steady_clock::now();
    world_.allreduce_sum(t);
    count(start);
  }
  void broadcast_from_root(const std::vector<Var>& params) override {
    dist::broadcast_parameters(world_, params);
  }
  std::unique_ptr<GradientAverager> gradient_averager(std::vector<Var> params) override {
    return std::make_unique<ReducerAveraging>(world_, std::move(params));
  }
  [[noreturn]] void abort(int code) override { world_.abort(code); }

 private:
  void count(std::chrono::steady_clock::time_point start) {
    seconds_communicating_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  dist::Communicator& world_ = dist::Communicator::world();
};

// Started by an MPI launcher (Open MPI's mpirun, or a PMI/PMIx one): only then is MPI
// initialized, so that a plain `wengert-lm train` never touches MPI.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

#endif

}  // namespace

Replicas& one_process() {
  static OneProcess alone;
  return alone;
}

Replicas& world_replicas() {
#ifdef WENGERT_LM_MPI
  if (launched_by_mpi()) {
    static MpiWorld world;
    return world;
  }
#endif
  return one_process();
}

}  // namespace wengert::lm
