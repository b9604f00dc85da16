// gradcheck: analytic gradient (one reverse sweep of sum(f(x) * w)) against central differences
//   numeric_j = (L(x + eps e_j) - L(x - eps e_j)) / (2 eps),  L(x) = sum(f(x) * w),
// perturbing each element of each input in place (through its strides, so views are checked too).
#include <cmath>
#include <sstream>
#include <wengert/autograd/backward.hpp>
#include <wengert/autograd/gradcheck.hpp>
#include <wengert/autograd/ops.hpp>

namespace wengert {

namespace {
// Address of the element at row-major position `flat` of a strided f64 tensor.
double* element(const Tensor& t, std::int64_t flat) {
  std::int64_t offset = 0;
  for (std::int64_t axis = t.dim() - 1; axis >= 0; --axis) {
    const std::int64_t extent = t.shape()[axis];
    offset += (flat % extent) * t.strides()[axis];
    flat /= extent;
  }
  return t.data<double>() + offset;
}
}  // namespace

std::string GradcheckResult::report() const {
  std::ostringstream out;
  out << "gradcheck " << (ok ? "passed" : "FAILED") << " for " << op << " (" << checked
      << " elements): worst is input " << input << " element " << index << ": analytic " << analytic
      << ", numeric " << numeric << " (error / tolerance = " << error << ")";
  return out.str();
}

namespace {
// `second_order`: f itself takes gradients, so its finite differences run with grad mode on.
GradcheckResult check_gradient(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                               const GradcheckOptions& options, bool second_order) {
  std::vector<Var> leaves;
  for (const Tensor& t : inputs) {
    check(t.defined() && is_floating(t.dtype()), "gradcheck: inputs must be floating tensors");
    leaves.emplace_back(t.dtype() == DType::f64 ? t : t.to(DType::f64), true);
  }

  GradcheckResult result;
  const Var out = f(leaves);
  check(out.dtype() == DType::f64, "gradcheck: f must compute in f64 (the inputs are f64), got ",
        dtype_name(out.dtype()));
  result.op = std::string(out.op());
  Generator gen(options.seed);
  const Tensor w = uniform(out.shape(), -1.0, 1.0, gen, DType::f64);
  std::vector<Tensor> analytic;
  for (const Var& v : leaves) analytic.push_back(zeros_like(v.value()));
  if (out.requires_grad()) {
    const std::vector<Var> g = grad({out}, leaves, {w});
    for (std::size_t i = 0; i < g.size(); ++i) analytic[i] = g[i].value();
  }

  auto loss = [&] {
    GradModeGuard mode(second_order);
    return sum(mul(f(leaves).value(), w)).item();
  };
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const Tensor& x = leaves[i].value();
    const Tensor a = analytic[i].contiguous();
    for (std::int64_t j = 0; j < x.numel(); ++j) {
      double* p = element(x, j);
      const double original = *p;
      *p = original + options.eps;
      const double plus = loss();
      *p = original - options.eps;
      const double minus = loss();
      *p = original;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double analytic_j = a.data<double>()[j];
      double error =
          std::abs(analytic_j - numeric) / (options.atol + options.rtol * std::abs(numeric));
      if (std::isnan(error)) error = std::numeric_limits<double>::infinity();
      ++result.checked;
      if (error > result.error || result.checked == 1) {
        result.error = error;
        result.input = i;
        result.index = j;
        result.analytic = analytic_j;
        result.numeric = numeric;
      }
    }
  }
  result.ok = result.error <= 1.0;
  return result;
}
}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  return check_gradient(f, inputs, options, false);
}

// The first gradients g_i = d sum(f(x) * w) / dx_i, taken with create_graph, are projected on
// fixed random v_i; gradcheck of x -> sum_i sum(g_i * v_i) then checks every second derivative
// (Hessian-vector products) against central differences of the first.
GradcheckResult gradgradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options) {
  std::string op;
  auto first_gradients = [&](const std::vector<Var>& x) {
    const Var out = f(x);
    op = out.op();
    Generator gen(options.seed);
    const Tensor w = uniform(out.shape(), -1.0, 1.0, gen, DType::f64);
    Var total(zeros({}, DType::f64));
    if (!out.requires_grad()) return total;
    const std::vector<Var> g = grad({out}, x, {w}, {.create_graph = true, .allow_unused = true});
    for (std::size_t i = 0; i < g.size(); ++i) {
      const Tensor v = uniform(x[i].shape(), -1.0, 1.0, gen, DType::f64);
      total = total + sum(g[i] * v);
    }
    return total;
  };
  GradcheckResult result = check_gradient(first_gradients, inputs, options, true);
  result.op = "grad of " + op;
  return result;
}

}  // namespace wengert
