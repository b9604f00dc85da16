// Initialisers: uniform bounds (PyTorch's defaults), xavier_uniform, and orthogonal by modified
// Gram-Schmidt in double (equivalent to QR with R's diagonal made positive).
#include <cmath>
#include <vector>
#include <wengert/nn/init.hpp>

namespace wengert::nn::init {

namespace {
// fan_in = shape[1] * receptive, fan_out = shape[0] * receptive (PyTorch's
// _calculate_fan_in_and_fan_out).
std::pair<std::int64_t, std::int64_t> fans(const char* op, const Shape& shape) {
  check(shape.size() >= 2, op, ": needs a shape of rank >= 2, got ", ShapePrinter{shape});
  std::int64_t receptive = 1;
  for (std::size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

void overwrite(const Var& param, const Tensor& value) {
  NoGradGuard no_grad;
  Tensor dst = param.value();
  dst.copy_(value);
}
}  // namespace

Tensor uniform_bound(const Shape& shape, double bound, Generator& gen, DType dtype) {
  return uniform(shape, -bound, bound, gen, dtype);
}

Tensor xavier_uniform(const Shape& shape, Generator& gen, double gain, DType dtype) {
  const auto [fan_in, fan_out] = fans("xavier_uniform", shape);
  const double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform(shape, -a, a, gen, dtype);
}

Tensor orthogonal(const Shape& shape, Generator& gen, double gain, DType dtype) {
  check(shape.size() >= 2, "orthogonal: needs a shape of rank >= 2, got ", ShapePrinter{shape});
  const std::int64_t rows = shape[0], cols = numel_of(shape) / std::max<std::int64_t>(rows, 1);
  // Work on a p x q matrix with p >= q (the transpose when rows < cols), column-major in `a`.
  const bool transposed = rows < cols;
  const std::int64_t p = transposed ? cols : rows, q = transposed ? rows : cols;
  std::vector<double> a(static_cast<std::size_t>(p * q));
  for (double& v : a) v = gen.normal();
  // Modified Gram-Schmidt: column j -= (q_k . column j) q_k for each earlier k, then normalise.
  for (std::int64_t j = 0; j < q; ++j) {
    double* cj = a.data() + j * p;
    for (std::int64_t k = 0; k < j; ++k) {
      const double* ck = a.data() + k * p;
      double dot = 0.0;
      for (std::int64_t i = 0; i < p; ++i) dot += ck[i] * cj[i];
      for (std::int64_t i = 0; i < p; ++i) cj[i] -= dot * ck[i];
    }
    double norm = 0.0;
    for (std::int64_t i = 0; i < p; ++i) norm += cj[i] * cj[i];
    norm = std::sqrt(norm);
    check(norm > 1e-12, "orthogonal: degenerate random matrix (try another seed)");
    for (std::int64_t i = 0; i < p; ++i) cj[i] /= norm;
  }
  // Q is p x q (column-major); the result is Q (rows x cols) or Q^T when transposed.
  std::vector<double> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = gain * (transposed ? a[r * p + c] : a[c * p + r]);
  return from_vector<double>(std::move(out), shape).to(dtype);
}

void xavier_uniform_(const Var& param, Generator& gen, double gain) {
  overwrite(param, xavier_uniform(param.shape(), gen, gain, param.dtype()));
}

void orthogonal_(const Var& param, Generator& gen, double gain) {
  overwrite(param, orthogonal(param.shape(), gen, gain, param.dtype()));
}

}  // namespace wengert::nn::init
