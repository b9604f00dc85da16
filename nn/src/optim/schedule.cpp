// Step-decay and cosine learning-rate schedules (closed forms, see schedule.hpp).
#include "wengert/nn/schedule.hpp"

#include <cmath>
#include <numbers>

#include "wengert/nn/optim.hpp"

namespace wengert::nn {

void LrSchedule::apply(Optimizer& optimizer, std::int64_t epoch) const {
  optimizer.set_lr(lr_at(epoch));
}

StepDecay::StepDecay(double base_lr, std::int64_t step_size, double gamma)
    : base_lr_(base_lr), gamma_(gamma), step_size_(step_size) {
  check(step_size > 0, "StepDecay: step_size must be > 0, got ", step_size);
}

double StepDecay::lr_at(std::int64_t epoch) const {
  check(epoch >= 0, "StepDecay: epoch must be >= 0, got ", epoch);
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

Cosine::Cosine(double base_lr, std::int64_t total_epochs, double min_lr)
    : base_lr_(base_lr), min_lr_(min_lr), total_epochs_(total_epochs) {
  check(total_epochs > 0, "Cosine: total_epochs must be > 0, got ", total_epochs);
}

double Cosine::lr_at(std::int64_t epoch) const {
  check(epoch >= 0, "Cosine: epoch must be >= 0, got ", epoch);
  const double angle =
      std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(total_epochs_);
  return min_lr_ + (base_lr_ - min_lr_) * (1 + std::cos(angle)) / 2;
}

}  // namespace wengert::nn
