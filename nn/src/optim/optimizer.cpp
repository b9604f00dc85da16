// Optimizer base: the parameter list, the learning rate, zero_grad, and the per-parameter state
// (named buffers + step counts) as named tensors for checkpoints, with an all-or-nothing load.
#include <charconv>
#include <cmath>
#include <string_view>

#include "wengert/nn/optim.hpp"

namespace wengert::nn {

Optimizer::Optimizer(std::vector<Var> params)
    : params_(std::move(params)), steps_(params_.size(), 0) {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    check(params_[i].defined(), "optimizer: parameter ", i, " is an undefined Var");
    check(is_floating(params_[i].dtype()), "optimizer: parameter ", i, " has dtype ",
          params_[i].dtype(), ", needs f32 or f64");
  }
}

Optimizer::~Optimizer() = default;

void Optimizer::zero_grad() {
  for (const Var& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  check(std::isfinite(lr) && lr >= 0, "optimizer: learning rate must be finite and >= 0, got ", lr);
  lr_ = lr;
}

void Optimizer::declare_buffers(std::vector<std::string> names) {
  buffer_names_ = std::move(names);
  buffers_.assign(buffer_names_.size(), std::vector<Tensor>(params_.size()));
}

NamedTensors Optimizer::state() const {
  NamedTensors out;
  out.emplace_back("lr", scalar(lr_, DType::f64));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (steps_[i] != 0)
      out.emplace_back("step." + std::to_string(i), scalar(steps_[i], DType::i64));
  }
  for (std::size_t k = 0; k < buffer_names_.size(); ++k) {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (buffers_[k][i].defined())
        out.emplace_back(buffer_names_[k] + "." + std::to_string(i), buffers_[k][i].clone());
    }
  }
  return out;
}

namespace {

// "exp_avg.3" -> {"exp_avg", 3}; index -1 when there is no numeric suffix.
std::pair<std::string_view, std::int64_t> split_name(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {name, -1};
  std::int64_t index = -1;
  const char* first = name.data() + dot + 1;
  const char* last = name.data() + name.size();
  const auto [end, err] = std::from_chars(first, last, index);
  if (err != std::errc() || end != last || first == last) return {name, -1};
  return {name.substr(0, dot), index};
}

}  // namespace

void Optimizer::load_state(const NamedTensors& state) {
  // Validate everything into fresh copies first; commit only when all entries are good.
  double lr = lr_;
  std::vector<std::int64_t> steps(params_.size(), 0);
  std::vector<std::vector<Tensor>> buffers(buffer_names_.size(),
                                           std::vector<Tensor>(params_.size()));
  std::vector<bool> seen_step(params_.size(), false);
  for (const auto& [name, t] : state) {
    check(t.defined(), "optimizer load_state: '", name, "' is an undefined tensor");
    if (name == "lr") {
      check(t.numel() == 1 && is_floating(t.dtype()), "optimizer load_state: 'lr' must be one ",
            "floating value, got ", t.dtype(), " ", ShapePrinter{t.shape()});
      lr = t.item();
      check(std::isfinite(lr) && lr >= 0, "optimizer load_state: 'lr' is ", lr);
      continue;
    }
    const auto [base, index] = split_name(name);
    check(index >= 0 && index < static_cast<std::int64_t>(params_.size()),
          "optimizer load_state: '", name, "' does not name a parameter index in [0, ",
          params_.size(), ")");
    const auto i = static_cast<std::size_t>(index);
    if (base == "step") {
      check(t.numel() == 1 && t.dtype() == DType::i64, "optimizer load_state: '", name,
            "' must be one i64 value, got ", t.dtype(), " ", ShapePrinter{t.shape()});
      check(!seen_step[i], "optimizer load_state: '", name, "' appears twice");
      seen_step[i] = true;
      steps[i] = static_cast<std::int64_t>(t.item());
      check(steps[i] >= 0, "optimizer load_state: '", name, "' is negative");
      continue;
    }
    std::size_t k = 0;
    while (k < buffer_names_.size() && buffer_names_[k] != base) ++k;
    check(k < buffer_names_.size(), "optimizer load_state: unexpected entry '", name, "'");
    const Tensor& p = params_[i].value();
    check(t.shape() == p.shape() && t.dtype() == p.dtype(), "optimizer load_state: '", name,
          "' is ", t.dtype(), " ", ShapePrinter{t.shape()}, ", parameter ", i, " is ", p.dtype(),
          " ", ShapePrinter{p.shape()});
    check(!buffers[k][i].defined(), "optimizer load_state: '", name, "' appears twice");
    buffers[k][i] = t.clone();
  }
  lr_ = lr;
  steps_ = std::move(steps);
  buffers_ = std::move(buffers);
}

}  // namespace wengert::nn
