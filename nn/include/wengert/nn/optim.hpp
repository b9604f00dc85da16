// Optimizers: SGD (momentum, dampening, Nesterov, weight decay), Adam and AdamW, with the exact
// update rules of torch.optim (formulas in nn/src/optim/*.cpp). step() updates the parameter
// tensors in place under NoGradGuard, so every module's reference stays valid; a parameter whose
// grad is undefined is skipped (its state and step count do not move, as in PyTorch).
// state()/load_state() turn the per-parameter state into named tensors for checkpoints.
//
// Parameter groups, as torch.optim's param_groups: each group has its own options (lr, weight
// decay, momentum, betas, ...); the single-list constructors make one group. The defaults of each
// optimizer are its Options struct's member initialisers. decay_groups() splits a module into the
// usual "decay" and "no decay" (biases and LayerNorm parameters) groups:
//   nn::AdamW opt(nn::decay_groups(model, nn::AdamWOptions{.lr = 3e-4, .weight_decay = 0.1}));
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <wengert/autograd.hpp>

namespace wengert::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
class Module;

// One group of parameters with its options (SGDOptions, AdamOptions or AdamWOptions).
template <class Options>
struct ParamGroup {
  std::vector<Var> params;
  Options options;
};

class Optimizer {
 public:
  // groups[g] holds the parameters of group g (none may be repeated, across groups either).
  Optimizer(std::vector<std::vector<Var>> groups, std::string kind);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void step() = 0;  // skips params whose grad is undefined; runs under NoGradGuard
  void zero_grad();         // every parameter's grad becomes undefined
  const std::string& kind() const { return kind_; }  // "SGD", "Adam", "AdamW"

  std::size_t num_groups() const { return groups_.size(); }
  double lr() const { return groups_[0].lr; }  // group 0's
  double lr(std::size_t group) const;
  void set_lr(double lr);                     // every group
  void set_lr(std::size_t group, double lr);  // one group
  // Group g's lr when the optimizer was built: LR schedules scale from it (as PyTorch's
  // initial_lr).
  double initial_lr(std::size_t group) const;
  const std::vector<Var>& params() const { return params_; }  // all groups, in order
  std::vector<Var> group_params(std::size_t group) const;

  // Optimizer state as named tensors, `<buffer>.<parameter index>` ("exp_avg.3",
  // "momentum_buffer.0", "step.2": i64 0-d, per parameter as in PyTorch; the index runs over all
  // groups in order), "lr" (group 0, f64 0-d), "group_lr.<g>" for groups g >= 1, and
  // "optimizer.<kind>" (i64 [groups]: each group's parameter count). Only buffers that exist are
  // listed (none before the first step). The tensors are copies.
  virtual NamedTensors state() const;
  // All-or-nothing: every name, index, shape and dtype is checked before anything changes;
  // throws wengert::Error naming the entry. A state of another kind of optimizer, or with other
  // groups, is refused naming both. Buffers not listed are reset (as before any step).
  virtual void load_state(const NamedTensors& state);

 protected:
  // Per-parameter buffers ("exp_avg", ...) kept by the subclasses: buffers_[k][i] for parameter i,
  // undefined until first used; the names in buffer_names_ (same order) label them in state().
  // Step counts per parameter live in steps_. buffer() throws when a defined buffer's dtype is no
  // longer its parameter's (the module was converted with Module::to after the buffer was made).
  void declare_buffers(std::vector<std::string> names);
  Tensor& buffer(std::size_t k, std::size_t i);
  // Parameters [begin, end) of params_ form group g.
  std::size_t group_begin(std::size_t g) const { return groups_[g].begin; }
  std::size_t group_end(std::size_t g) const { return groups_[g].end; }
  void set_initial_lr(std::size_t group, double lr);  // the constructors' lr

  std::vector<Var> params_;
  std::vector<std::int64_t> steps_;  // updates applied to each parameter so far

 private:
  struct Group {
    std::size_t begin = 0, end = 0;
    double lr = 0.0, initial_lr = 0.0;
  };
  std::string kind_;
  std::vector<Group> groups_;
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
  explicit SGD(std::vector<ParamGroup<SGDOptions>> groups);
  void step() override;
  const SGDOptions& options(std::size_t group = 0) const { return options_.at(group); }

 private:
  std::vector<SGDOptions> options_;  // per group; lr lives in the base (schedules change it)
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};
// torch.optim.Adam: L2 weight decay added to the gradient. Buffers "exp_avg", "exp_avg_sq".
class Adam : public Optimizer {
 public:
  Adam(std::vector<Var> params, AdamOptions options);
  explicit Adam(std::vector<ParamGroup<AdamOptions>> groups);
  void step() override;
  const AdamOptions& options(std::size_t group = 0) const { return options_.at(group); }

 protected:
  Adam(std::vector<ParamGroup<AdamOptions>> groups, bool decoupled);

 private:
  std::vector<AdamOptions> options_;  // per group
  bool decoupled_ = false;
};

// torch.optim.AdamW: decoupled weight decay p *= 1 - lr * weight_decay before the Adam update.
struct AdamWOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2;
};
class AdamW : public Adam {
 public:
  AdamW(std::vector<Var> params, AdamWOptions options);
  explicit AdamW(std::vector<ParamGroup<AdamWOptions>> groups);
};

// The module's parameters in two groups: {decay: options}, {no decay: options with
// weight_decay = 0}. No decay: biases (a name whose last part starts with "bias") and every
// parameter of a LayerNorm. A group left empty is dropped.
struct DecaySplit {
  std::vector<Var> decay, no_decay;
};
DecaySplit split_decay(const Module& module);
template <class Options>
std::vector<ParamGroup<Options>> decay_groups(const Module& module, Options options) {
  DecaySplit split = split_decay(module);
  Options no_decay = options;
  no_decay.weight_decay = 0;
  std::vector<ParamGroup<Options>> out;
  if (!split.decay.empty()) out.push_back({std::move(split.decay), options});
  if (!split.no_decay.empty()) out.push_back({std::move(split.no_decay), no_decay});
  return out;
}

}  // namespace wengert::nn
