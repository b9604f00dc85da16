// PackedMatrix and packed_matmul_into: the checks and the run-time dispatch around the pack-once
// kernels of gemm_kernel.hpp (PackWeight, PackedMultiply).
#include "wengert/tensor/packed_gemm.hpp"

#include "gemm_dispatch.hpp"
#include "wengert/tensor/error.hpp"

namespace wengert {

namespace {

// Elements of the packed W: N rounded up to whole panels of the kernel's MR rows, times K.
template <class T>
std::int64_t packed_elements(std::int64_t k, std::int64_t n) {
  static const int mr = xsimd::dispatch<detail::GemmArchs>(detail::PackedPanelRows<T>{})();
  return (n + mr - 1) / mr * mr * k;
}

}  // namespace

PackedMatrix::PackedMatrix(const Tensor& w, Tensor reuse) {
  check(w.defined(), "PackedMatrix: the tensor to pack is undefined");
  check(w.dim() == 2, "PackedMatrix: needs a 2-d [K, N] tensor, got ", ShapePrinter{w.shape()});
  rows_ = w.size(0);
  cols_ = w.size(1);
  visit_floating("PackedMatrix", w.dtype(), [&]<class T>() {
    const std::int64_t elements = packed_elements<T>(rows_, cols_);
    const bool fits = reuse.defined() && reuse.dtype() == w.dtype() && reuse.is_contiguous() &&
                      reuse.offset() == 0 && !reuse.overlaps(w) &&
                      reuse.numel() >= elements;  // offset 0: 64-byte aligned panels
    panels_ = fits ? reuse : Tensor::empty({elements}, w.dtype());
    xsimd::dispatch<detail::GemmArchs>(detail::PackWeight<T>{})(
        rows_, cols_, w.data<T>(), w.strides()[0], w.strides()[1], panels_.data<T>());
  });
}

void packed_matmul_into(const Tensor& out, const Tensor& a, const PackedMatrix& w,
                        bool accumulate) {
  const char* op = "packed_matmul_into";
  check(w.panels().defined(), op, ": the packed matrix is empty");
  check(out.defined() && a.defined() && out.dim() == 2 && a.dim() == 2, op,
        ": needs 2-d out and a");
  check(a.size(1) == w.rows() && out.size(0) == a.size(0) && out.size(1) == w.cols(), op, ": a ",
        ShapePrinter{a.shape()}, " @ w [", w.rows(), ", ", w.cols(), "] does not fit out ",
        ShapePrinter{out.shape()});
  check_writable(op, out);
  check(!out.overlaps(a), op, ": out ", ShapePrinter{out.shape()},
        " shares memory with a (the product reads a while it writes out); pass a separate output");
  check(a.dtype() == w.dtype() && out.dtype() == w.dtype(), op, ": dtypes ",
        dtype_name(out.dtype()), " = ", dtype_name(a.dtype()), " @ ", dtype_name(w.dtype()),
        " differ");
  check((a.size(1) <= 1 || a.strides()[1] == 1) && (out.size(1) <= 1 || out.strides()[1] == 1), op,
        ": the rows of a and out must be contiguous (strides ", ShapePrinter{a.strides()}, " and ",
        ShapePrinter{out.strides()}, ")");
  visit_floating(op, w.dtype(), [&]<class T>() {
    xsimd::dispatch<detail::GemmArchs>(detail::PackedMultiply<T>{})(
        out.size(0), out.size(1), a.size(1), a.data<T>(), a.strides()[0], w.panels().data<T>(),
        accumulate, out.data<T>(), out.strides()[0]);
  });
  out.bump_version();
}

}  // namespace wengert
