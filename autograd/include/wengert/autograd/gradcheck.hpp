// gradcheck / gradgradcheck: compares the analytic gradient of f (one reverse sweep) with central
// finite differences, in f64. For a non-scalar output, both sides differentiate sum(f(x) * w) for a
// fixed random w, which checks every entry of the Jacobian-vector product.
//   auto r = gradcheck([](const std::vector<Var>& v) { return tanh(matmul(v[0], v[1])); },
//                      {normal({2, 3}, 0, 1, gen, DType::f64), normal({3, 4}, 0, 1, gen,
//                      DType::f64)});
//   if (!r) std::cerr << r.report();
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "var.hpp"

namespace wengert {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // pass when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
  std::uint64_t seed = 7;  // for the projection w
};

struct GradcheckResult {
  bool ok = true;
  std::string op;          // the op that produced f's output
  std::size_t input = 0;   // the input holding the worst element
  std::int64_t index = 0;  // its row-major position in that input
  double analytic = 0.0;
  double numeric = 0.0;
  double error = 0.0;        // |analytic - numeric| / (atol + rtol * |numeric|); > 1 fails
  std::int64_t checked = 0;  // number of elements compared
  explicit operator bool() const { return ok; }
  std::string report() const;
};

using GradcheckFn = std::function<Var(const std::vector<Var>&)>;

// Inputs that are f64 are used as given (so a strided view is checked as such); others are
// converted to f64. Each becomes a leaf with requires_grad; f must be deterministic.
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

// Like torch.autograd.gradgradcheck: checks the second derivatives of f, i.e. that the gradient
// f's backward rules compute under create_graph is itself correctly differentiated. The analytic
// side is a second reverse sweep through the graph of the first; the numeric side central
// differences of the first gradient. Every op on the way needs a differentiable rule (record.hpp).
GradcheckResult gradgradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace wengert
