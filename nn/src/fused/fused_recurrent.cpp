// fused_recurrent_layer: one RNN / GRU / LSTM layer over a whole sequence as one tape entry.
// The driver: shape checks, the big GEMMs over all time steps (wengert::gemm), the time loops
// calling the per-step kernels (fused_kernels.hpp), and the record() with the backward below it.
//
// Threads: batch rows are independent through the whole sequence (row b of h_t depends only on
// row b of h_{t-1}), so each thread runs the full time loop on its own slice of the batch, with
// no barrier between steps. The GEMMs over all steps are threaded by wengert::gemm itself.
#include "wengert/nn/fused_recurrent.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "fused_kernels.hpp"

namespace wengert::nn {
namespace fused {

// --- kernel table and packing ---

namespace {
template <class T>
struct PickKernels {
  template <class Arch>
  Kernels<T> operator()(Arch) const {
    return kernels_for<Arch, T>();
  }
};
}  // namespace

template <class T>
const Kernels<T>& kernels() {
  static const Kernels<T> table = xsimd::dispatch<FusedArchs>(PickKernels<T>{})();
  return table;
}

template <class T>
void pack_panels(std::int64_t K, std::int64_t N, const T* b, std::int64_t b_rs, std::int64_t b_cs,
                 int nr, T* dst) {
  for (std::int64_t j0 = 0; j0 < N; j0 += nr, dst += K * nr) {
    const std::int64_t cols = std::min<std::int64_t>(nr, N - j0);
    for (std::int64_t j = 0; j < nr; ++j) {  // one source column at a time: B(., j0 + j)
      if (j >= cols) {
        for (std::int64_t k = 0; k < K; ++k) dst[k * nr + j] = T(0);
        continue;
      }
      const T* src = b + (j0 + j) * b_cs;
      for (std::int64_t k = 0; k < K; ++k) dst[k * nr + j] = src[k * b_rs];
    }
  }
}

template const Kernels<float>& kernels<float>();
template const Kernels<double>& kernels<double>();
template void pack_panels<float>(std::int64_t, std::int64_t, const float*, std::int64_t,
                                 std::int64_t, int, float*);
template void pack_panels<double>(std::int64_t, std::int64_t, const double*, std::int64_t,
                                  std::int64_t, int, double*);

}  // namespace fused

namespace {

using fused::Kernels;

// Threads for the time loops: whole register tiles (8 rows) per thread, and at least ~2 MFLOP of
// step GEMM per thread and step (an estimate, like wengert::gemm's threshold; not yet tuned: the
// shared machine was too loaded to time 2 threads when this was written).
struct RowSplit {
  int threads = 1;
  std::int64_t chunk = 0;  // rows per thread (the last may get fewer)
};
RowSplit split_rows(std::int64_t B, std::int64_t GH, std::int64_t H) {
  RowSplit s;
  const double flops_per_step = 2.0 * double(B) * double(GH) * double(H);
  const int by_rows = static_cast<int>(std::max<std::int64_t>(1, B / 8));
  const int by_work = static_cast<int>(std::max(1.0, flops_per_step / 2e6));
  s.threads = omp_in_parallel() ? 1 : std::min({omp_get_max_threads(), by_rows, by_work});
  s.chunk = (B + s.threads - 1) / s.threads;
  if (s.threads > 1) s.chunk = (s.chunk + 7) / 8 * 8;
  return s;
}

// Runs body(b0, rows) on each thread's slice of the batch.
template <class F>
void for_row_slices(const RowSplit& s, std::int64_t B, F&& body) {
  if (s.threads == 1) return body(std::int64_t{0}, B);
#pragma omp parallel num_threads(s.threads)
  {
    const std::int64_t b0 = std::min<std::int64_t>(B, omp_get_thread_num() * s.chunk);
    const std::int64_t b1 = std::min<std::int64_t>(B, b0 + s.chunk);
    if (b1 > b0) body(b0, b1 - b0);
  }
}

// Scratch buffers that do not outlive a call (the rnn gates, dG, the packed w_hh), kept per
// thread and reused: a fresh megabyte-sized buffer per call costs more in page faults on first
// touch than the kernels that fill it. Slots are fixed per use; grown when too small.
enum Slot { kSlotGates, kSlotDgx, kSlotDgh, kSlotPacked, kSlotGh, kSlots };
template <class T>
T* scratch(Slot slot, std::int64_t elements) {
  thread_local Tensor buffers[kSlots];
  Tensor& b = buffers[slot];
  if (!b.defined() || b.numel() < elements) b = Tensor::empty({elements}, dtype_of<T>());
  return b.data<T>();
}

// Everything the forward produces; the backward reads it back from the tape's saved tensors.
struct ForwardResult {
  Tensor out;    // [T, B, H] hidden states; lstm: [T + 1, B, H], row T = c_T
  Tensor acts;   // gru / lstm: gate activations [T, B, G*H]
  Tensor extra;  // gru: W_hn h + b_hn [T, B, H]; lstm: c_t [T, B, H]
};

// The sizes of one call, its direction (reverse: from t = T - 1 down) and whether it has biases.
struct Dims {
  std::int64_t T, B, I, H, G, GH;
  bool reverse, bias;
};

// Step s (0 = the first run) handles time t = first + s * dir; its h_prev is the output at t - dir
// (h0 at s = 0): forward first = 0, dir = 1; reverse first = T - 1, dir = -1.
struct TimeOrder {
  std::int64_t first, dir;
  explicit TimeOrder(const Dims& d) : first(d.reverse ? d.T - 1 : 0), dir(d.reverse ? -1 : 1) {}
  std::int64_t at(std::int64_t s) const { return first + s * dir; }
};

template <class T>
ForwardResult forward(CellKind kind, const Dims& d, const Tensor& x, const Tensor& h0,
                      const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                      const Tensor& b_hh) {
  const Kernels<T>& k = fused::kernels<T>();
  // (plain copies, not a structured binding: clang 14 cannot capture those in OpenMP regions)
  const std::int64_t T_ = d.T, B = d.B, I = d.I, H = d.H, GH = d.GH;
  const TimeOrder order(d);
  const DType dt = w_ih.dtype();
  const bool lstm = kind == CellKind::lstm, gru = kind == CellKind::gru;
  ForwardResult r;
  // The gates: saved for gru / lstm (their activations), scratch for rnn (the output suffices).
  Tensor gates = lstm || gru ? Tensor::empty({T_, B, GH}, dt) : Tensor();
  T* g = lstm || gru ? gates.data<T>() : scratch<T>(kSlotGates, T_ * B * GH);
  r.out = Tensor::empty({lstm ? T_ + 1 : T_, B, H}, dt);
  if (gru || lstm) r.extra = Tensor::empty({T_, B, H}, dt);
  T* out = r.out.data<T>();
  T* extra = gru || lstm ? r.extra.data<T>() : nullptr;
  std::vector<T> no_bias(d.bias ? 0 : GH, T(0));  // the biases of a layer without them
  const T* bih = d.bias ? b_ih.data<T>() : no_bias.data();
  const T* bhh = d.bias ? b_hh.data<T>() : no_bias.data();

  // Gx = x @ w_ih^T + b_ih (+ b_hh, except for gru whose n gate needs W_hn h + b_hn apart):
  // every row starts as the bias, then one GEMM over all T * B rows adds the projection.
  // Token ids stand for one-hot rows, whose product with w_ih^T is column `id` of w_ih: a gather
  // from w_ih^T (transposed once, I x GH) instead of a GEMM over mostly zeros.
  std::vector<T> bias(bih, bih + GH);
  if (!gru)
    for (std::int64_t j = 0; j < GH; ++j) bias[j] += bhh[j];
  if (x.dtype() == DType::i64) {  // row = bias + column ids[row] of w_ih, in one pass
    const Tensor w_ih_t = w_ih.transpose(0, 1).contiguous();  // [I, GH]
    const T* wt = w_ih_t.data<T>();
    const std::int64_t* ids = x.data<std::int64_t>();
    for (std::int64_t row = 0; row < T_ * B; ++row)
      k.add_row(GH, bias.data(), wt + ids[row] * GH, g + row * GH);
  } else {
    for (std::int64_t row = 0; row < T_ * B; ++row)
      std::memcpy(g + row * GH, bias.data(), GH * sizeof(T));
    gemm<T>(T_ * B, GH, I, T(1), x.data<T>(), I, 1, w_ih.data<T>(), 1, I, T(1), g, GH, 1);
  }

  // w_hh^T (H x GH) packed once for the H-deep step GEMMs.
  T* wp = scratch<T>(kSlotPacked, fused::packed_size(H, GH, k.panel_width));
  fused::pack_panels<T>(H, GH, w_hh.data<T>(), 1, H, k.panel_width, wp);
  T* gh = gru ? scratch<T>(kSlotGh, B * GH) : nullptr;  // gru: W_hh h_prev of this step

  const RowSplit split = split_rows(B, GH, H);
  for_row_slices(split, B, [&](std::int64_t b0, std::int64_t rows) {
    for (std::int64_t s = 0; s < T_; ++s) {
      const std::int64_t t = order.at(s);
      const T* h_prev = s == 0 ? h0.data<T>() + b0 * H : out + ((t - order.dir) * B + b0) * H;
      T* gt = g + (t * B + b0) * GH;
      T* h = out + (t * B + b0) * H;
      switch (kind) {
        case CellKind::rnn_tanh:
        case CellKind::rnn_relu:  // G_t = Gx_t + h_prev @ w_hh^T;  h = act(G_t)
          k.packed_gemm(rows, GH, H, h_prev, H, wp, true, gt, GH);
          k.rnn_forward(kind == CellKind::rnn_relu, rows, H, gt, h);
          break;
        case CellKind::gru: {  // gh = h_prev @ w_hh^T kept apart: n needs r * (W_hn h + b_hn)
          T* ght = gh + b0 * GH;
          k.packed_gemm(rows, GH, H, h_prev, H, wp, false, ght, GH);
          k.gru_forward(rows, H, gt, ght, bhh, h_prev, extra + (t * B + b0) * H, h);
          break;
        }
        case CellKind::lstm: {  // G_t = Gx_t + h_prev @ w_hh^T;  c, h from the gates
          const T* c_prev = s == 0 ? c0.data<T>() + b0 * H : extra + ((t - order.dir) * B + b0) * H;
          k.packed_gemm(rows, GH, H, h_prev, H, wp, true, gt, GH);
          k.lstm_forward(rows, H, gt, c_prev, extra + (t * B + b0) * H, h);
          break;
        }
      }
    }
  });
  if (lstm)  // row T: c after the last step run
    std::memcpy(out + T_ * B * H, extra + order.at(T_ - 1) * B * H, B * H * sizeof(T));
  if (gru || lstm) r.acts = gates;
  return r;
}

// Gradients of the inputs; undefined when not needed.
struct Grads {
  Tensor dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh;
};

template <class T>
Grads backward(CellKind kind, const Dims& d, const BackwardCtx& ctx, bool need_dx, Tensor dout) {
  const Kernels<T>& k = fused::kernels<T>();
  // (plain copies, not a structured binding: clang 14 cannot capture those in OpenMP regions)
  const std::int64_t T_ = d.T, B = d.B, I = d.I, H = d.H, GH = d.GH;
  const TimeOrder order(d);
  const bool lstm = kind == CellKind::lstm, gru = kind == CellKind::gru;
  const Tensor& x = ctx.saved("x");
  const Tensor& h0 = ctx.saved("h0");
  const Tensor& w_ih = ctx.saved("w_ih");
  const Tensor& w_hh = ctx.saved("w_hh");
  const DType dt = w_ih.dtype();
  const T* out = ctx.out().data<T>();
  const T* acts = gru || lstm ? ctx.saved("acts").data<T>() : nullptr;
  const T* extra = gru || lstm ? ctx.saved("extra").data<T>() : nullptr;
  dout = dout.contiguous();
  const T* dy = dout.data<T>();

  // dG of every step: [T, B, G*H]. For gru the x side and the h side differ in the n block.
  T* dgx_p = scratch<T>(kSlotDgx, T_ * B * GH);
  T* dgh_p = gru ? scratch<T>(kSlotDgh, T_ * B * GH) : dgx_p;
  Grads r;
  r.dh0 = zeros({B, H}, dt);  // dh_rec: the part of dh_t coming from step t + 1, zero at T - 1
  if (lstm) r.dc0 = dout[T_].clone();  // dc_T = d(loss)/d(c_T), the output's last row
  T* dh_rec = r.dh0.data<T>();
  T* dc = lstm ? r.dc0.data<T>() : nullptr;

  // w_hh (GH x H) packed for the GH-deep step GEMMs dh_prev = dG_t @ w_hh.
  T* wp = scratch<T>(kSlotPacked, fused::packed_size(GH, H, k.panel_width));
  fused::pack_panels<T>(GH, H, w_hh.data<T>(), H, 1, k.panel_width, wp);

  const RowSplit split = split_rows(B, GH, H);
  for_row_slices(split, B, [&](std::int64_t b0, std::int64_t rows) {
    T* dhr = dh_rec + b0 * H;
    for (std::int64_t s = T_ - 1; s >= 0; --s) {
      const std::int64_t row = order.at(s) * B + b0;  // first row of this slice at step s
      const std::int64_t prev = row - order.dir * B;  // the same at step s - 1
      const T* h_prev = s == 0 ? h0.data<T>() + b0 * H : out + prev * H;
      switch (kind) {
        case CellKind::rnn_tanh:
        case CellKind::rnn_relu:  // dG_t from dh_t;  dh_{t-1} = dG_t @ w_hh
          k.rnn_backward(kind == CellKind::rnn_relu, rows, H, out + row * H, dy + row * H, dhr,
                         dgx_p + row * GH);
          k.packed_gemm(rows, H, GH, dgx_p + row * GH, GH, wp, false, dhr, H);
          break;
        case CellKind::gru:  // dh_{t-1} = dh_t * z + dGh_t @ w_hh
          k.gru_backward(rows, H, acts + row * GH, extra + row * H, h_prev, dy + row * H, dhr,
                         dgx_p + row * GH, dgh_p + row * GH);
          k.packed_gemm(rows, H, GH, dgh_p + row * GH, GH, wp, true, dhr, H);
          break;
        case CellKind::lstm: {  // dG_t, dc_{t-1} from dh_t, dc_t;  dh_{t-1} = dG_t @ w_hh
          const T* c_prev = s == 0 ? ctx.saved("c0").data<T>() + b0 * H : extra + prev * H;
          k.lstm_backward(rows, H, acts + row * GH, c_prev, extra + row * H, dy + row * H, dhr,
                          dc + b0 * H, dgx_p + row * GH);
          k.packed_gemm(rows, H, GH, dgx_p + row * GH, GH, wp, false, dhr, H);
          break;
        }
      }
    }
  });

  // Weight gradients, one GEMM each over all T * B rows (the sum over time is the K loop):
  //   dW_hh = dGh^T @ h_prev: h0 at the first step run, the neighbour output elsewhere; forward
  //           rows 1..T-1 pair with outputs 0..T-2, reverse rows 0..T-2 with outputs 1..T-1
  //           (two GEMMs: h0 is not stored next to the outputs)
  //   dW_ih = dGx^T @ x          dx = dGx @ w_ih          db = column sums of dG
  r.dw_hh = Tensor::empty({GH, H}, dt);
  T* dwhh = r.dw_hh.data<T>();
  const std::int64_t later = d.reverse ? 0 : 1;  // the first of the rows that follow another step
  gemm<T>(GH, H, B, T(1), dgh_p + order.first * B * GH, 1, GH, h0.data<T>(), H, 1, T(0), dwhh, H,
          1);
  gemm<T>(GH, H, (T_ - 1) * B, T(1), dgh_p + later * B * GH, 1, GH, out + (1 - later) * B * H, H, 1,
          T(1), dwhh, H, 1);
  if (x.dtype() == DType::i64) {  // one-hot rows: dW_ih^T[id] += dGx row (a scatter-add)
    Tensor dw_ih_t = zeros({I, GH}, dt);
    T* dwt = dw_ih_t.data<T>();
    const std::int64_t* ids = x.data<std::int64_t>();
    for (std::int64_t row = 0; row < T_ * B; ++row)
      k.add_row(GH, dgx_p + row * GH, dwt + ids[row] * GH, dwt + ids[row] * GH);
    r.dw_ih = dw_ih_t.transpose(0, 1).contiguous();
  } else {
    r.dw_ih = Tensor::empty({GH, I}, dt);
    gemm<T>(GH, I, T_ * B, T(1), dgx_p, 1, GH, x.data<T>(), I, 1, T(0), r.dw_ih.data<T>(), I, 1);
  }
  if (need_dx) {
    r.dx = Tensor::empty({T_, B, I}, dt);
    gemm<T>(T_ * B, I, GH, T(1), dgx_p, GH, 1, w_ih.data<T>(), I, 1, T(0), r.dx.data<T>(), I, 1);
  }
  auto column_sums = [&](const T* m) {
    Tensor s = zeros({GH}, dt);
    T* sp = s.data<T>();
    for (std::int64_t row = 0; row < T_ * B; ++row) k.add_row(GH, m + row * GH, sp, sp);
    return s;
  };
  if (d.bias) {
    r.db_ih = column_sums(dgx_p);
    r.db_hh = gru ? column_sums(dgh_p) : r.db_ih;
  }
  return r;
}

void check_shapes(CellKind kind, const Var& x, const Var& h0, const Var& c0, const Var& w_ih,
                  const Var& w_hh, const Var& b_ih, const Var& b_hh) {
  const char* op = "fused_recurrent_layer";
  check(x.defined() && h0.defined() && w_ih.defined() && w_hh.defined(), op,
        ": x, h0, w_ih and w_hh must all be defined");
  check(b_ih.defined() == b_hh.defined(), op,
        ": b_ih and b_hh must both be given or both be undefined (no biases)");
  const bool lstm = kind == CellKind::lstm;
  check(lstm == c0.defined(), op, ": c0 must be given for lstm and only for lstm");
  const bool ids = x.dtype() == DType::i64;
  if (ids) {
    check(x.dim() == 2 && x.size(0) >= 1, op, ": token ids must be [T, B] with T >= 1, got ",
          ShapePrinter{x.shape()});
    check(w_ih.dim() == 2, op, ": w_ih must be [G*H, I], got ", ShapePrinter{w_ih.shape()});
  } else {
    check(x.dim() == 3 && x.size(0) >= 1, op, ": x must be [T, B, I] with T >= 1, got ",
          ShapePrinter{x.shape()});
  }
  check(h0.dim() == 2, op, ": h0 must be [B, H], got ", ShapePrinter{h0.shape()});
  const std::int64_t B = x.size(1), I = ids ? w_ih.size(1) : x.size(2), H = h0.size(1);
  const DType dt = w_ih.dtype();
  const std::int64_t GH = gate_count(kind) * H;
  auto expect = [&](const Var& v, const Shape& shape, const char* name) {
    check(v.shape() == shape, op, ": ", name, " must be ", ShapePrinter{shape}, ", got ",
          ShapePrinter{v.shape()}, " (x ", ShapePrinter{x.shape()}, ", h0 ",
          ShapePrinter{h0.shape()}, ", ", gate_count(kind), " gate blocks)");
    check(v.dtype() == dt, op, ": ", name, " has dtype ", dtype_name(v.dtype()), ", w_ih has ",
          dtype_name(dt));
  };
  expect(h0, {B, H}, "h0");
  if (lstm) expect(c0, {B, H}, "c0");
  expect(w_ih, {GH, I}, "w_ih");
  expect(w_hh, {GH, H}, "w_hh");
  if (b_ih.defined()) {
    expect(b_ih, {GH}, "b_ih");
    expect(b_hh, {GH}, "b_hh");
  }
  check(dt == DType::f32 || dt == DType::f64, op, ": needs f32 or f64 weights, got ",
        dtype_name(dt));
  if (ids) {
    const Tensor v = x.value().contiguous();
    const std::int64_t* p = v.data<std::int64_t>();
    for (std::int64_t i = 0; i < v.numel(); ++i)
      check(p[i] >= 0 && p[i] < I, op, ": token id ", p[i], " at position ", i,
            " is out of range for w_ih with I = ", I, " inputs");
  } else {
    check(x.dtype() == dt, op, ": x has dtype ", dtype_name(x.dtype()), ", w_ih has ",
          dtype_name(dt));
  }
}

}  // namespace

Var fused_recurrent_layer(CellKind kind, const Var& x, const Var& h0, const Var& c0,
                          const Var& w_ih, const Var& w_hh, const Var& b_ih, const Var& b_hh,
                          bool reverse) {
  check_shapes(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh);
  const bool lstm = kind == CellKind::lstm, bias = b_ih.defined();
  const std::int64_t H = h0.size(1);
  const bool ids = x.dtype() == DType::i64;  // token ids standing for one-hot rows
  const std::int64_t I = ids ? w_ih.size(1) : x.size(2);
  const Dims d{x.size(0), x.size(1), I, H, gate_count(kind), gate_count(kind) * H, reverse, bias};
  const DType dt = w_ih.dtype();

  // Contiguous values (no copy when they already are); the backward reads these back.
  const Tensor x_c = x.value().contiguous(), h0_c = h0.value().contiguous();
  const Tensor c0_c = lstm ? c0.value().contiguous() : Tensor();
  const Tensor w_ih_c = w_ih.value().contiguous(), w_hh_c = w_hh.value().contiguous();
  const Tensor b_ih_c = bias ? b_ih.value().contiguous() : Tensor();
  const Tensor b_hh_c = bias ? b_hh.value().contiguous() : Tensor();

  auto run = [&]<class T>(std::type_identity<T>) {
    return forward<T>(kind, d, x_c, h0_c, c0_c, w_ih_c, w_hh_c, b_ih_c, b_hh_c);
  };
  ForwardResult f =
      dt == DType::f32 ? run(std::type_identity<float>{}) : run(std::type_identity<double>{});
  std::vector<SavedTensor> saved{{"x", x_c},       {"h0", h0_c},      {"c0", c0_c},
                                 {"w_ih", w_ih_c}, {"w_hh", w_hh_c},  {"b_hh", b_hh_c},
                                 {"acts", f.acts}, {"extra", f.extra}};

  // Inputs in order x, h0, [c0], w_ih, w_hh, [b_ih, b_hh]: c0 only for lstm, biases if any.
  std::vector<Var> inputs{x, h0};
  if (lstm) inputs.push_back(c0);
  inputs.insert(inputs.end(), {w_ih, w_hh});
  if (bias) inputs.insert(inputs.end(), {b_ih, b_hh});
  const std::size_t w0 = lstm ? 3 : 2;  // index of w_ih among the inputs

  const char* op = lstm                         ? "fused_lstm"
                   : kind == CellKind::gru      ? "fused_gru"
                   : kind == CellKind::rnn_relu ? "fused_rnn_relu"
                                                : "fused_rnn_tanh";
  return record(
      op, std::move(f.out), std::span<const Var>(inputs), kSaveOut,
      [kind, d, lstm, w0, op](auto& ctx) {
        // The hand-written BPTT computes on Tensors only: no second derivatives through it.
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(ctx)>, GraphCtx>) {
          fail(op,
               ": the fused recurrent layer has a first-order backward only; for "
               "create_graph (second derivatives) build the layer with fused = false");
        } else {
          Grads g = ctx.in_dtype(w0) == DType::f32
                        ? backward<float>(kind, d, ctx, ctx.needs(0), ctx.dout)
                        : backward<double>(kind, d, ctx, ctx.needs(0), ctx.dout);
          if (g.dx.defined()) ctx.add(0, std::move(g.dx));
          ctx.add(1, std::move(g.dh0));
          if (lstm) ctx.add(2, std::move(g.dc0));
          ctx.add(w0, std::move(g.dw_ih));
          ctx.add(w0 + 1, std::move(g.dw_hh));
          if (d.bias) {
            ctx.add(w0 + 2, std::move(g.db_ih));
            ctx.add(w0 + 3, std::move(g.db_hh));
          }
        }
      },
      std::move(saved));
}

}  // namespace wengert::nn
