// Replicas: the processes that train one model together (data parallelism), seen from one of
// them. Each holds a full copy of the model and trains on its share of every minibatch; the
// gradients are averaged so that every copy takes the same step, the step one process would take
// on the whole minibatch. The Trainer talks to the other processes only through this interface:
//   one_process()     a world of one: every collective returns its input (no MPI involved);
//   world_replicas()  under `mpirun -np N` in a build with wengert::dist (CMake WENGERT_MPI), the
//                     N processes of the job over MPI; otherwise one_process().
// Every member but rank() and size() is collective: all processes call it, in the same order.
#pragma once

#include <memory>
#include <vector>
#include <wengert/autograd.hpp>

namespace wengert::lm {

// Averages the parameters' gradients over the replicas, overlapping the communication with the
// backward sweep (dist::GradientReducer). One process: does nothing.
class GradientAverager {
 public:
  virtual ~GradientAverager() = default;
  // false for the sweeps of an accumulation window but its last: they need no communication.
  virtual void set_communicate(bool on) = 0;
  // After the last sweep of a window: every grad becomes its mean over the replicas.
  virtual void finish() = 0;
  virtual double seconds_waiting() const = 0;  // summed over the calls of finish()
};

class Replicas {
 public:
  virtual ~Replicas() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }

  virtual void barrier() = 0;
  virtual double sum(double value) = 0;
  virtual void sum(Tensor& t) = 0;  // in place; contiguous
  bool any(bool flag) { return sum(flag ? 1.0 : 0.0) > 0; }
  virtual void broadcast_from_root(const std::vector<Var>& params) = 0;
  virtual std::unique_ptr<GradientAverager> gradient_averager(std::vector<Var> params) = 0;
  // Ends every process of the job with `code`: what a process that failed alone must do, since
  // the others would wait for it in their next collective. One process: std::exit(code).
  [[noreturn]] virtual void abort(int code) = 0;

  // Time spent inside barrier() and sum() (waiting for the others included).
  double seconds_communicating() const { return seconds_communicating_; }

 protected:
  double seconds_communicating_ = 0;
};

Replicas& one_process();
Replicas& world_replicas();

}  // namespace wengert::lm
