// Communicator: the few collective operations data-parallel training needs, over MPI's world
// (Open MPI from Debian; launch with `mpirun -np N program`). A program started without mpirun
// is a world of one process, so the same code runs alone or in parallel.
//   auto& world = dist::Communicator::world();   // initializes MPI on first use
//   world.broadcast(weights, /*root=*/0);        // every rank starts from rank 0's values
//   world.allreduce_sum(grad);                   // grad = sum over ranks, on every rank
// Errors of MPI are returned (not fatal) and become wengert::Error naming the call and the reason.
#pragma once

#include <cstdint>
#include <wengert/tensor.hpp>

namespace wengert::dist {

class Communicator {
 public:
  // The world of processes started together. MPI is initialized on the first call (threads:
  // funneled: only the thread that called world() talks to MPI) and finalized at exit.
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  void barrier() const;
  // Every rank's `t` (contiguous, same shape and dtype on every rank) gets the root's values.
  void broadcast(Tensor& t, int root = 0) const;
  // In place: every rank's `t` becomes the element-wise sum of all ranks' `t`.
  void allreduce_sum(Tensor& t) const;
  // The same for scalars, e.g. a loss summed over ranks, or a flag any rank may raise.
  double allreduce_sum(double value) const;
  std::int64_t allreduce_max(std::int64_t value) const;
  // Ends every process of the job with exit code `code` (MPI_Abort): what a rank that failed
  // alone must do, since the others would wait for it forever in their next collective.
  [[noreturn]] void abort(int code) const;

  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

 private:
  Communicator();
  ~Communicator();
  int rank_ = 0, size_ = 1;
  bool finalize_at_exit_ = false;
};

}  // namespace wengert::dist
