// Learning-rate schedules as closed forms of a counter t (0-based), matching
// torch.optim.lr_scheduler: StepLR, CosineAnnealingLR, LinearLR (warmup), LambdaLR and SequentialLR
// (composition). Stepping is the caller's choice and stated by the unit of t: call
//   schedule.apply(optimizer, t)
// once per optimizer step (t = steps done so far: the usual choice with warmup) or once per epoch
// (t = epoch); step_size, total, warmup_steps and milestones count in that same unit.
//
// Parameter groups: base_lr is group 0's; group g runs the same schedule from
// base_lr * initial_lr(g) / initial_lr(0), so the groups keep their ratio (PyTorch's schedulers
// start each group from its own initial lr, which is the same thing when base_lr = group 0's).
//
//   auto schedule = nn::warmup_then(100, std::make_shared<nn::Cosine>(3e-4, 900));
//   for (std::int64_t t = 0; t < 1000; ++t) { schedule->apply(opt, t); ...; opt.step(); }
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace wengert::nn {

class Optimizer;

class LrSchedule {
 public:
  explicit LrSchedule(double base_lr);
  virtual ~LrSchedule() = default;
  double base_lr() const { return base_lr_; }
  double lr_at(std::int64_t t) const { return lr_from(t, base_lr_); }
  // The schedule started from another base learning rate (one per parameter group).
  virtual double lr_from(std::int64_t t, double base_lr) const = 0;
  void apply(Optimizer& optimizer, std::int64_t t) const;  // sets every group's lr

 private:
  double base_lr_;
};

// lr = base_lr * gamma^floor(t / step_size)
class StepDecay : public LrSchedule {
 public:
  StepDecay(double base_lr, std::int64_t step_size, double gamma = 0.1);
  double lr_from(std::int64_t t, double base_lr) const override;

 private:
  double gamma_;
  std::int64_t step_size_;
};

// lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * t / total)) / 2. Like PyTorch's closed form it
// is periodic: past total it climbs back (keep t <= total).
class Cosine : public LrSchedule {
 public:
  Cosine(double base_lr, std::int64_t total, double min_lr = 0.0);
  double lr_from(std::int64_t t, double base_lr) const override;

 private:
  double min_lr_;
  std::int64_t total_;
};

// lr = base_lr * factor(t), as LambdaLR. factor must return a finite value >= 0.
class LambdaSchedule : public LrSchedule {
 public:
  LambdaSchedule(double base_lr, std::function<double(std::int64_t)> factor);
  double lr_from(std::int64_t t, double base_lr) const override;

 private:
  std::function<double(std::int64_t)> factor_;
};

// Linear warmup, as LinearLR(start_factor, end_factor = 1, total_iters = warmup_steps):
// lr = base_lr * (start_factor + (1 - start_factor) * min(t, warmup_steps) / warmup_steps).
class LinearWarmup : public LrSchedule {
 public:
  LinearWarmup(double base_lr, std::int64_t warmup_steps, double start_factor = 0.0);
  double lr_from(std::int64_t t, double base_lr) const override;

 private:
  std::int64_t warmup_steps_;
  double start_factor_;
};

// One schedule after another, as SequentialLR: parts[0] for t < milestones[0], then parts[k]
// at t - milestones[k-1] until milestones[k], ... (milestones strictly increasing, one fewer than
// parts). base_lr is parts[0]'s; all parts run from the base they are given.
class Sequence : public LrSchedule {
 public:
  Sequence(std::vector<std::shared_ptr<const LrSchedule>> parts,
           std::vector<std::int64_t> milestones);
  double lr_from(std::int64_t t, double base_lr) const override;

 private:
  std::vector<std::shared_ptr<const LrSchedule>> parts_;
  std::vector<std::int64_t> milestones_;
};

// Linear warmup from start_factor * base over warmup_steps, then `after` (from t = 0 again):
// Sequence({LinearWarmup(after's base, warmup_steps, start_factor), after}, {warmup_steps}).
std::shared_ptr<const Sequence> warmup_then(std::int64_t warmup_steps,
                                            std::shared_ptr<const LrSchedule> after,
                                            double start_factor = 0.0);

}  // namespace wengert::nn
