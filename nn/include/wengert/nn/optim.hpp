// Optimizers: SGD (momentum, dampening, Nesterov, weight decay), Adam and AdamW, with the exact
// update rules of torch.optim (formulas in nn/src/optim/*.cpp). step() updates the parameter
// tensors in place under NoGradGuard, so every module's reference stays valid; a parameter whose
// grad is undefined is skipped (its state and step count do not move, as in PyTorch).
// state()/load_state() turn the per-parameter state into named tensors for checkpoints.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <wengert/autograd.hpp>

namespace wengert::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Optimizer {
 public:
  explicit Optimizer(std::vector<Var> params);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void step() = 0;  // skips params whose grad is undefined; runs under NoGradGuard
  void zero_grad();         // every parameter's grad becomes undefined
  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Var>& params() const { return params_; }

  // Optimizer state as named tensors, `<buffer>.<parameter index>` ("exp_avg.3",
  // "momentum_buffer.0", "step.2": i64 0-d, per parameter as in PyTorch), plus "lr" (f64 0-d).
  // Only buffers that exist are listed (none before the first step). The tensors are copies.
  virtual NamedTensors state() const;
  // All-or-nothing: every name, index, shape and dtype is checked before anything changes;
  // throws wengert::Error naming the entry. Buffers not listed are reset (as before any step).
  virtual void load_state(const NamedTensors& state);

 protected:
  // Per-parameter buffers ("exp_avg", ...) kept by the subclasses: buffers_[k][i] for parameter i,
  // undefined until first used; the names in buffer_names_ (same order) label them in state().
  // Step counts per parameter live in steps_.
  void declare_buffers(std::vector<std::string> names);
  Tensor& buffer(std::size_t k, std::size_t i) { return buffers_[k][i]; }

  std::vector<Var> params_;
  std::vector<std::int64_t> steps_;  // updates applied to each parameter so far

 private:
  double lr_ = 0.0;
  std::vector<std::string> buffer_names_;
  std::vector<std::vector<Tensor>> buffers_;
};

struct SGDOptions {
  double lr = 0.01, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};
// torch.optim.SGD: buffer "momentum_buffer" (only with momentum != 0).
class SGD : public Optimizer {
 public:
  SGD(std::vector<Var> params, SGDOptions options);
  void step() override;
  const SGDOptions& options() const { return options_; }

 private:
  SGDOptions options_;
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};
// torch.optim.Adam: L2 weight decay added to the gradient. Buffers "exp_avg", "exp_avg_sq".
class Adam : public Optimizer {
 public:
  Adam(std::vector<Var> params, AdamOptions options);
  void step() override;
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::vector<Var> params, AdamOptions options, bool decoupled);

 private:
  AdamOptions options_;
  bool decoupled_ = false;
};

// torch.optim.AdamW: decoupled weight decay p *= 1 - lr * weight_decay before the Adam update.
struct AdamWOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2;
};
class AdamW : public Adam {
 public:
  AdamW(std::vector<Var> params, AdamWOptions options);
};

}  // namespace wengert::nn
