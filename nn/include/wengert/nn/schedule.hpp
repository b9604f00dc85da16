// Learning-rate schedules as closed forms of the epoch number (0-based), matching
// torch.optim.lr_scheduler.StepLR and CosineAnnealingLR (their _get_closed_form_lr).
// Typical use, once per epoch:  schedule.apply(optimizer, epoch);
#pragma once

#include <cstdint>

namespace wengert::nn {

class Optimizer;

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double lr_at(std::int64_t epoch) const = 0;
  void apply(Optimizer& optimizer, std::int64_t epoch) const;  // optimizer.set_lr(lr_at(epoch))
};

// lr = base_lr * gamma^floor(epoch / step_size)
class StepDecay : public LrSchedule {
 public:
  StepDecay(double base_lr, std::int64_t step_size, double gamma = 0.1);
  double lr_at(std::int64_t epoch) const override;

 private:
  double base_lr_, gamma_;
  std::int64_t step_size_;
};

// lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * epoch / total_epochs)) / 2. Like PyTorch's
// closed form it is periodic: past total_epochs it climbs back (keep epoch <= total_epochs).
class Cosine : public LrSchedule {
 public:
  Cosine(double base_lr, std::int64_t total_epochs, double min_lr = 0.0);
  double lr_at(std::int64_t epoch) const override;

 private:
  double base_lr_, min_lr_;
  std::int64_t total_epochs_;
};

}  // namespace wengert::nn
