// GradientReducer: averages the gradients of a model's parameters over all ranks with bucketed,
// non-blocking allreduces (the scheme of PyTorch's DistributedDataParallel).
//
// Parameters are grouped into buckets of about `bucket_bytes`, in reverse registration order
// (the order in which the sweep finishes their gradients: the decoder first, the embedding last).
// A gradient hook on each parameter copies its finished gradient into its bucket's flat buffer;
// when the last gradient of a bucket arrives, a non-blocking allreduce of that bucket starts.
// finish() waits for the rest and writes grad = sum over ranks / size. The engine runs a
// parameter's hooks as soon as the last entry feeding it has run, so a bucket is reduced while
// the rest of the sweep computes (hooks.hpp).
//
//   dist::GradientReducer reducer(world, model.parameters());
//   for (...) {
//     loss.backward();          // buckets are reduced while the sweep runs
//     reducer.finish();         // every rank now holds the same averaged gradients
//     clip_grad_norm(...); optimizer.step(); optimizer.zero_grad();
//   }
// Gradient accumulation: call backward() K times, finish() once; only the last sweep needs to
// communicate, so call set_communicate(false) before the first K - 1 sweeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>
#include <wengert/autograd.hpp>

#include "communicator.hpp"

namespace wengert::dist {

struct ReducerOptions {
  std::size_t bucket_bytes = std::size_t{4} << 20;  // 4 MiB: large enough to amortize latency
};

struct ReducerStats {
  std::int64_t buckets = 0;
  // Buckets whose allreduce had started before finish() was called (overlapped with the sweep).
  std::int64_t buckets_started_in_sweep = 0;
  double seconds_waiting = 0;  // time finish() spent waiting for communication, summed
};

class GradientReducer {
 public:
  GradientReducer(const Communicator& comm, std::vector<Var> params, ReducerOptions options = {});
  ~GradientReducer();  // removes its hooks
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Waits for every bucket (starting those not yet started: parameters that got no gradient in
  // this step count as zero) and sets every parameter's grad to the average over ranks.
  void finish();
  // false: the hooks do nothing (the sweeps of an accumulation window before the last one).
  void set_communicate(bool on) { communicate_ = on; }

  std::int64_t num_buckets() const { return static_cast<std::int64_t>(buckets_.size()); }
  const ReducerStats& stats() const { return stats_; }

 private:
  struct Bucket;
  void on_gradient(std::size_t param, const Tensor& grad);
  void start(Bucket& bucket);

  const Communicator& comm_;
  std::vector<Var> params_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<std::size_t> bucket_of_;   // parameter -> bucket
  std::vector<std::int64_t> offset_of_;  // parameter -> element offset in its bucket
  std::vector<bool> arrived_;            // parameter -> gradient copied in this step
  std::size_t next_to_start_ = 0;        // buckets start in index order on every rank
  bool communicate_ = true;
  ReducerStats stats_;
};

// Every rank's parameters get rank 0's values (call once after building the model).
void broadcast_parameters(const Communicator& comm, const std::vector<Var>& params);

}  // namespace wengert::dist
