// Elementwise operations with NumPy broadcasting. Both operands must have the same dtype
// (a dtype mismatch throws); `x + 2.0` makes a 0-d tensor of x's dtype.
// Contiguous rows go through xsimd kernels chosen at run time; any strides work.
#pragma once

#include "tensor.hpp"

namespace wengert {

// --- binary, broadcasting ---
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double exponent);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// Comparisons give 1 or 0 in the operands' (common) dtype, so a mask multiplies directly.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

// where(cond, a, b): a where cond != 0, else b; all three broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// --- unary ---
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);  // 1 / (1 + exp(-x))
Tensor relu(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor clamp(const Tensor& x, double lo, double hi);
// Scalar loops over <cmath> (exact, not SIMD): for the autograd's activation ops.
Tensor log1p(const Tensor& x);  // log(1 + x), accurate for small x
Tensor expm1(const Tensor& x);  // exp(x) - 1, accurate for small x
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);  // halves to even, like torch.round

// --- operators ---
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, scalar(b, a.dtype())); }
inline Tensor operator-(const Tensor& a, double b) { return sub(a, scalar(b, a.dtype())); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, scalar(b, a.dtype())); }
inline Tensor operator/(const Tensor& a, double b) { return div(a, scalar(b, a.dtype())); }
inline Tensor operator+(double a, const Tensor& b) { return add(scalar(a, b.dtype()), b); }
inline Tensor operator-(double a, const Tensor& b) { return sub(scalar(a, b.dtype()), b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(scalar(a, b.dtype()), b); }
inline Tensor operator/(double a, const Tensor& b) { return div(scalar(a, b.dtype()), b); }

// --- comparison of whole tensors ---
// Same shape and every |a - b| <= atol + rtol * |b| (NaNs equal only if both NaN when equal_nan).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8,
              bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape, dtype and values
double max_abs_diff(const Tensor& a, const Tensor& b);

}  // namespace wengert
