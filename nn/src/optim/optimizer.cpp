// Optimizer base: the parameter groups, their learning rates, zero_grad, and the per-parameter
// state (named buffers + step counts) as named tensors for checkpoints, with an all-or-nothing
// load that refuses another kind of optimizer.
#include <charconv>
#include <cmath>
#include <set>
#include <string_view>

#include "wengert/nn/optim.hpp"

namespace wengert::nn {

Optimizer::Optimizer(std::vector<std::vector<Var>> groups, std::string kind)
    : kind_(std::move(kind)) {
  check(!groups.empty(), kind_, ": needs at least one parameter group");
  std::set<const void*> seen;
  for (auto& group : groups) {
    Group g;
    g.begin = params_.size();
    for (Var& p : group) {
      const std::size_t i = params_.size();
      check(p.defined(), kind_, ": parameter ", i, " is an undefined Var");
      check(is_floating(p.dtype()), kind_, ": parameter ", i, " has dtype ", p.dtype(),
            ", needs f32 or f64");
      check(seen.insert(p.node().get()).second, kind_, ": parameter ", i,
            " appears twice (in one group or in two)");
      params_.push_back(std::move(p));
    }
    g.end = params_.size();
    groups_.push_back(g);
  }
  steps_.assign(params_.size(), 0);
}

Optimizer::~Optimizer() = default;

void Optimizer::zero_grad() {
  for (const Var& p : params_) p.zero_grad();
}

double Optimizer::lr(std::size_t group) const {
  check(group < groups_.size(), kind_, ": group ", group, " out of range (", groups_.size(),
        " groups)");
  return groups_[group].lr;
}

void Optimizer::set_lr(double lr) {
  for (std::size_t g = 0; g < groups_.size(); ++g) set_lr(g, lr);
}

void Optimizer::set_lr(std::size_t group, double lr) {
  check(group < groups_.size(), kind_, ": group ", group, " out of range (", groups_.size(),
        " groups)");
  check(std::isfinite(lr) && lr >= 0, kind_, ": learning rate must be finite and >= 0, got ", lr);
  groups_[group].lr = lr;
}

double Optimizer::initial_lr(std::size_t group) const {
  check(group < groups_.size(), kind_, ": group ", group, " out of range (", groups_.size(),
        " groups)");
  return groups_[group].initial_lr;
}

void Optimizer::set_initial_lr(std::size_t group, double lr) {
  set_lr(group, lr);
  groups_[group].initial_lr = lr;
}

std::vector<Var> Optimizer::group_params(std::size_t group) const {
  check(group < groups_.size(), kind_, ": group ", group, " out of range (", groups_.size(),
        " groups)");
  return {params_.begin() + static_cast<std::ptrdiff_t>(groups_[group].begin),
          params_.begin() + static_cast<std::ptrdiff_t>(groups_[group].end)};
}

void Optimizer::declare_buffers(std::vector<std::string> names) {
  buffer_names_ = std::move(names);
  buffers_.assign(buffer_names_.size(), std::vector<Tensor>(params_.size()));
}

Tensor& Optimizer::buffer(std::size_t k, std::size_t i) {
  Tensor& b = buffers_[k][i];
  if (b.defined() && b.dtype() != params_[i].dtype())
    fail(kind_, ": parameter ", i, " is ", dtype_name(params_[i].dtype()), " but its ",
         buffer_names_[k], " is ", dtype_name(b.dtype()),
         ": the module was converted with Module::to after this optimizer built its state; "
         "create the optimizer after to()");
  return b;
}

NamedTensors Optimizer::state() const {
  NamedTensors out;
  out.emplace_back("lr", scalar(groups_[0].lr, DType::f64));
  for (std::size_t g = 1; g < groups_.size(); ++g)
    out.emplace_back("group_lr." + std::to_string(g), scalar(groups_[g].lr, DType::f64));
  std::vector<std::int64_t> sizes;
  for (const Group& g : groups_) sizes.push_back(static_cast<std::int64_t>(g.end - g.begin));
  out.emplace_back("optimizer." + kind_,
                   from_vector<std::int64_t>(sizes, {static_cast<std::int64_t>(sizes.size())}));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (steps_[i] != 0)
      out.emplace_back("step." + std::to_string(i),  // exact (scalar() takes a double)
                       from_vector(std::vector<std::int64_t>{steps_[i]}, Shape{}));
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
  std::vector<double> lrs;
  for (const Group& g : groups_) lrs.push_back(g.lr);
  const auto read_lr = [&](const std::string& name, const Tensor& t) {
    check(t.numel() == 1 && is_floating(t.dtype()), "optimizer load_state: '", name,
          "' must be one floating value, got ", t.dtype(), " ", ShapePrinter{t.shape()});
    const double lr = t.item();
    check(std::isfinite(lr) && lr >= 0, "optimizer load_state: '", name, "' is ", lr);
    return lr;
  };
  std::vector<std::int64_t> steps(params_.size(), 0);
  std::vector<std::vector<Tensor>> buffers(buffer_names_.size(),
                                           std::vector<Tensor>(params_.size()));
  std::vector<bool> seen_step(params_.size(), false);
  // First the kind and the group sizes, so another optimizer's state is named as such.
  for (const auto& [name, t] : state) {
    if (!name.starts_with("optimizer.")) continue;
    check(t.defined(), "optimizer load_state: '", name, "' is an undefined tensor");
    const std::string other = name.substr(10);
    check(other == kind_, "optimizer load_state: the state is of an optimizer of kind ", other,
          ", it cannot be loaded into one of kind ", kind_);
    check(t.dtype() == DType::i64 && t.dim() == 1, "optimizer load_state: '", name,
          "' must be i64 [groups], got ", t.dtype(), " ", ShapePrinter{t.shape()});
    const auto sizes = t.to_vector<std::int64_t>();
    bool same = sizes.size() == groups_.size();
    for (std::size_t g = 0; same && g < groups_.size(); ++g)
      same = sizes[g] == static_cast<std::int64_t>(groups_[g].end - groups_[g].begin);
    check(same, "optimizer load_state: the state's parameter groups ",
          ShapePrinter{Shape(sizes.begin(), sizes.end())},
          " (parameters per group) differ from this ", kind_, "'s");
  }
  for (const auto& [name, t] : state) {
    check(t.defined(), "optimizer load_state: '", name, "' is an undefined tensor");
    if (name == "lr") {
      lrs[0] = read_lr(name, t);
      continue;
    }
    if (name.starts_with("optimizer.")) continue;  // checked above
    const auto [base, index] = split_name(name);
    if (base == "group_lr") {
      check(index >= 1 && index < static_cast<std::int64_t>(groups_.size()),
            "optimizer load_state: '", name, "' does not name a group in [1, ", groups_.size(),
            ")");
      lrs[static_cast<std::size_t>(index)] = read_lr(name, t);
      continue;
    }
    check(index >= 0 && index < static_cast<std::int64_t>(params_.size()),
          "optimizer load_state: '", name, "' does not name a parameter index in [0, ",
          params_.size(), ")");
    const auto i = static_cast<std::size_t>(index);
    if (base == "step") {
      check(t.numel() == 1 && t.dtype() == DType::i64, "optimizer load_state: '", name,
            "' must be one i64 value, got ", t.dtype(), " ", ShapePrinter{t.shape()});
      check(!seen_step[i], "optimizer load_state: '", name, "' appears twice");
      seen_step[i] = true;
      steps[i] = t.to_vector<std::int64_t>()[0];  // exact (item() goes through a double)
      // (bounded so that counting further steps cannot overflow)
      check(steps[i] >= 0 && steps[i] < (std::int64_t{1} << 62), "optimizer load_state: '", name,
            "' = ", steps[i], " is outside [0, 2^62)");
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
  for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].lr = lrs[g];
  steps_ = std::move(steps);
  buffers_ = std::move(buffers);
}

}  // namespace wengert::nn
