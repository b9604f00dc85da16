// matmul with NumPy's rules, on the strided GEMM. Operands are never copied for layout: a
// transposed, sliced or broadcast (stride 0) matrix goes to gemm() as its two strides.
#include "wengert/tensor/gemm.hpp"
#include "wengert/tensor/linalg.hpp"

namespace wengert {

namespace {

std::string matmul_shapes(const Tensor& a, const Tensor& b) {
  return shape_str(a.shape()) + " @ " + shape_str(b.shape());
}

// out[M, N] = alpha * a[M, K] @ b[K, N] + beta * out, all 2-d views of one dtype.
void gemm_2d(const Tensor& a, const Tensor& b, Tensor& out, double alpha, double beta) {
  visit_floating("matmul", a.dtype(), [&]<class T>() {
    const T* pa = static_cast<const T*>(a.storage()->data()) + a.offset();
    const T* pb = static_cast<const T*>(b.storage()->data()) + b.offset();
    T* pc = static_cast<T*>(out.storage()->data()) + out.offset();
    gemm<T>(a.shape()[0], b.shape()[1], a.shape()[1], static_cast<T>(alpha), pa, a.strides()[0],
            a.strides()[1], pb, b.strides()[0], b.strides()[1], static_cast<T>(beta), pc,
            out.strides()[0], out.strides()[1]);
  });
}

// out[batch..., M, N] = a[..., M, K] @ b[..., K, N], one GEMM per batch index (the batch axes of
// a and b broadcast to `batch`).
void multiply_batches(const Tensor& a2, const Tensor& b2, const Shape& batch, Tensor& out) {
  const std::int64_t M = a2.shape()[a2.dim() - 2], K = a2.shape()[a2.dim() - 1];
  const std::int64_t N = b2.shape()[b2.dim() - 1];
  Shape full_a = batch, full_b = batch;
  full_a.insert(full_a.end(), {M, K});
  full_b.insert(full_b.end(), {K, N});
  const Tensor ea = a2.expand(full_a), eb = b2.expand(full_b);
  const std::int64_t batches = numel_of(batch);
  for (std::int64_t i = 0; i < batches; ++i) {
    // Unravel batch index i (row-major), then select it off the leading axes of every operand.
    std::vector<std::int64_t> index(batch.size());
    for (std::int64_t d = static_cast<std::int64_t>(batch.size()) - 1, rest = i; d >= 0; --d) {
      index[d] = rest % batch[d];
      rest /= batch[d];
    }
    Tensor ma = ea, mb = eb, mo = out;
    for (auto idx : index) {
      ma = ma.select(0, idx);
      mb = mb.select(0, idx);
      mo = mo.select(0, idx);
    }
    gemm_2d(ma, mb, mo, 1.0, 0.0);
  }
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check(a.defined() && b.defined(), "matmul: operand is an undefined tensor");
  check(a.dtype() == b.dtype(), "matmul: dtype mismatch: ", dtype_name(a.dtype()), " vs ",
        dtype_name(b.dtype()), " in ", matmul_shapes(a, b));
  check(a.dim() >= 1 && b.dim() >= 1, "matmul: operands must be at least 1-d, got ",
        matmul_shapes(a, b));
  // Promote 1-d operands: a vector on the left is a row [1, K], on the right a column [K, 1].
  const Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
  const std::int64_t M = a2.shape()[a2.dim() - 2], K = a2.shape()[a2.dim() - 1];
  const std::int64_t K2 = b2.shape()[b2.dim() - 2], N = b2.shape()[b2.dim() - 1];
  if (K != K2) fail("matmul: inner dimensions differ: ", matmul_shapes(a, b));

  // Batch axes (all but the last two) broadcast against each other.
  const Shape batch_a(a2.shape().begin(), a2.shape().end() - 2);
  const Shape batch_b(b2.shape().begin(), b2.shape().end() - 2);
  Shape batch;
  try {
    batch = broadcast_shapes("matmul", batch_a, batch_b);
  } catch (const Error&) {
    fail("matmul: batch dimensions do not broadcast: ", matmul_shapes(a, b));
  }
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype());

  // A batch of matrices times one matrix, with a's batch axes and rows one strided axis (a
  // contiguous [T, B, K], and most views): one GEMM [batch * M, K] @ [K, N]. It packs b once
  // instead of once per batch, and its tiles see batch * M rows instead of M.
  const std::int64_t rows = numel_of(Shape(out_shape.begin(), out_shape.end() - 1));
  if (b2.dim() == 2 && a2.dim() > 2 && a2.can_view({rows, K})) {
    Tensor out_rows = out.view({rows, N});
    gemm_2d(a2.view({rows, K}), b2, out_rows, 1.0, 0.0);
  } else {
    multiply_batches(a2, b2, batch, out);
  }
  // Drop the axes that 1-d operands gained.
  if (a.dim() == 1) out = out.squeeze(-2);
  if (b.dim() == 1) out = out.squeeze(-1);
  return out;
}

void matmul_into(Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  check(a.dim() == 2 && b.dim() == 2 && out.dim() == 2, "matmul_into: needs 2-d operands, got ",
        matmul_shapes(a, b), " into ", ShapePrinter{out.shape()});
  check(a.dtype() == b.dtype() && a.dtype() == out.dtype(),
        "matmul_into: dtype mismatch: ", dtype_name(a.dtype()), ", ", dtype_name(b.dtype()),
        " into ", dtype_name(out.dtype()));
  if (a.shape()[1] != b.shape()[0]) fail("matmul: inner dimensions differ: ", matmul_shapes(a, b));
  check(out.shape()[0] == a.shape()[0] && out.shape()[1] == b.shape()[1], "matmul_into: result ",
        matmul_shapes(a, b), " does not fit ", ShapePrinter{out.shape()});
  check_writable("matmul_into", out);
  check(!out.overlaps(a) && !out.overlaps(b), "matmul_into: out ", ShapePrinter{out.shape()},
        " shares memory with ", out.overlaps(a) ? "a" : "b",
        " (the product reads its operands while it writes out); pass a separate output tensor");
  gemm_2d(a, b, out, alpha, beta);
  out.bump_version();
}

}  // namespace wengert
