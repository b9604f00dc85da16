// The learning-rate schedules (closed forms, see schedule.hpp) and their application to the
// parameter groups of an optimizer.
#include "wengert/nn/schedule.hpp"

#include <cmath>
#include <numbers>

#include "wengert/nn/optim.hpp"

namespace wengert::nn {

LrSchedule::LrSchedule(double base_lr) : base_lr_(base_lr) {
  check(std::isfinite(base_lr) && base_lr >= 0, "LrSchedule: base_lr must be finite and >= 0, got ",
        base_lr);
}

void LrSchedule::apply(Optimizer& optimizer, std::int64_t t) const {
  const double first = optimizer.initial_lr(0);
  for (std::size_t g = 0; g < optimizer.num_groups(); ++g) {
    const double base = g == 0      ? base_lr_
                        : first > 0 ? base_lr_ * optimizer.initial_lr(g) / first
                                    : optimizer.initial_lr(g);
    optimizer.set_lr(g, lr_from(t, base));
  }
}

StepDecay::StepDecay(double base_lr, std::int64_t step_size, double gamma)
    : LrSchedule(base_lr), gamma_(gamma), step_size_(step_size) {
  check(step_size > 0, "StepDecay: step_size must be > 0, got ", step_size);
}

double StepDecay::lr_from(std::int64_t t, double base_lr) const {
  check(t >= 0, "StepDecay: t must be >= 0, got ", t);
  return base_lr * std::pow(gamma_, static_cast<double>(t / step_size_));
}

Cosine::Cosine(double base_lr, std::int64_t total, double min_lr)
    : LrSchedule(base_lr), min_lr_(min_lr), total_(total) {
  check(total > 0, "Cosine: total must be > 0, got ", total);
}

double Cosine::lr_from(std::int64_t t, double base_lr) const {
  check(t >= 0, "Cosine: t must be >= 0, got ", t);
  const double angle = std::numbers::pi * static_cast<double>(t) / static_cast<double>(total_);
  return min_lr_ + (base_lr - min_lr_) * (1 + std::cos(angle)) / 2;
}

LambdaSchedule::LambdaSchedule(double base_lr, std::function<double(std::int64_t)> factor)
    : LrSchedule(base_lr), factor_(std::move(factor)) {
  check(static_cast<bool>(factor_), "LambdaSchedule: empty factor function");
}

double LambdaSchedule::lr_from(std::int64_t t, double base_lr) const {
  check(t >= 0, "LambdaSchedule: t must be >= 0, got ", t);
  const double f = factor_(t);
  check(std::isfinite(f) && f >= 0, "LambdaSchedule: factor(", t, ") is ", f,
        ", must be finite and >= 0");
  return base_lr * f;
}

LinearWarmup::LinearWarmup(double base_lr, std::int64_t warmup_steps, double start_factor)
    : LrSchedule(base_lr), warmup_steps_(warmup_steps), start_factor_(start_factor) {
  check(warmup_steps > 0, "LinearWarmup: warmup_steps must be > 0, got ", warmup_steps);
  check(start_factor >= 0 && start_factor <= 1, "LinearWarmup: start_factor must be in [0, 1], ",
        "got ", start_factor);
}

double LinearWarmup::lr_from(std::int64_t t, double base_lr) const {
  check(t >= 0, "LinearWarmup: t must be >= 0, got ", t);
  const double done =
      static_cast<double>(std::min(t, warmup_steps_)) / static_cast<double>(warmup_steps_);
  return base_lr * (start_factor_ + (1 - start_factor_) * done);
}

Sequence::Sequence(std::vector<std::shared_ptr<const LrSchedule>> parts,
                   std::vector<std::int64_t> milestones)
    : LrSchedule(parts.empty() || !parts[0] ? 0.0 : parts[0]->base_lr()),
      parts_(std::move(parts)),
      milestones_(std::move(milestones)) {
  check(!parts_.empty() && milestones_.size() + 1 == parts_.size(), "Sequence: needs one ",
        "milestone fewer than parts, got ", parts_.size(), " parts and ", milestones_.size(),
        " milestones");
  for (std::size_t k = 0; k < parts_.size(); ++k)
    check(parts_[k] != nullptr, "Sequence: part ", k, " is null");
  for (std::size_t k = 0; k < milestones_.size(); ++k)
    check(milestones_[k] > (k == 0 ? 0 : milestones_[k - 1]),
          "Sequence: milestones must be positive and strictly increasing");
}

double Sequence::lr_from(std::int64_t t, double base_lr) const {
  check(t >= 0, "Sequence: t must be >= 0, got ", t);
  std::size_t k = 0;
  while (k < milestones_.size() && t >= milestones_[k]) ++k;
  const std::int64_t start = k == 0 ? 0 : milestones_[k - 1];
  return parts_[k]->lr_from(t - start, base_lr);
}

std::shared_ptr<const Sequence> warmup_then(std::int64_t warmup_steps,
                                            std::shared_ptr<const LrSchedule> after,
                                            double start_factor) {
  check(after != nullptr, "warmup_then: the schedule after the warmup is null");
  auto warmup = std::make_shared<LinearWarmup>(after->base_lr(), warmup_steps, start_factor);
  return std::make_shared<Sequence>(
      std::vector<std::shared_ptr<const LrSchedule>>{std::move(warmup), std::move(after)},
      std::vector<std::int64_t>{warmup_steps});
}

}  // namespace wengert::nn
