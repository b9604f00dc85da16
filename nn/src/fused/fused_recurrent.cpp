// fused_recurrent_layer: one RNN / GRU / LSTM layer over a whole sequence as one tape entry.
// The driver: shape checks, the GEMMs over all time steps (matmul_into), the time loops calling
// the step GEMM (packed_matmul_into) and the per-step cell kernels (fused_kernels.hpp), and the
// record() with the backward below it. Everything is a tensor op on views; the cell kernels take
// the data of [rows, H] / [rows, G*H] views of one step.
//
// Shape letters, one meaning each (here, in src/fused/ and in fused_recurrent.hpp):
//   T  time steps          B  batch              I  input size
//   H  hidden size         G  gate count: 1 (rnn), 3 (gru: r, z, n), 4 (lstm: i, f, g, o)
//   G*H the width of the stacked gates; rows = a thread's slice of the batch
// Types: Scalar = the element type (float or double); in the kernels batch_simd = xsimd::batch.
// Names: gates = the gate pre-activations, replaced by the activations for gru / lstm;
//   `d` prefix = d(loss)/d(.); dh_rec = the part of dh_t that comes back from step t + 1.
//
// Threads: batch rows are independent through the whole sequence (row b of h_t depends only on
// row b of h_{t-1}), so each thread runs the full time loop on its own slice of the batch, with
// no barrier between steps. The GEMMs over all steps are threaded by wengert::gemm itself.
#include "wengert/nn/fused_recurrent.hpp"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <vector>
#include <wengert/tensor/packed_gemm.hpp>
#include <wengert/tensor/simd.hpp>

#include "fused_kernels.hpp"

namespace wengert::nn {
namespace fused {

namespace {
template <class Scalar>
struct PickKernels {
  template <class Arch>
  Kernels<Scalar> operator()(Arch) const {
    return kernels_for<Arch, Scalar>();
  }
};
}  // namespace

template <class Scalar>
const Kernels<Scalar>& kernels() {
  static const Kernels<Scalar> table = xsimd::dispatch<simd::Archs>(PickKernels<Scalar>{})();
  return table;
}

template const Kernels<float>& kernels<float>();
template const Kernels<double>& kernels<double>();

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

// Runs body(b0, rows) on each thread's slice of the batch. An exception cannot leave an OpenMP
// region (it would end the process): the first one thrown is rethrown after the region.
template <class F>
void for_row_slices(const RowSplit& s, std::int64_t B, F&& body) {
  if (s.threads == 1) return body(std::int64_t{0}, B);
  std::exception_ptr error;
#pragma omp parallel num_threads(s.threads)
  {
    const std::int64_t b0 = std::min<std::int64_t>(B, omp_get_thread_num() * s.chunk);
    const std::int64_t b1 = std::min<std::int64_t>(B, b0 + s.chunk);
    try {
      if (b1 > b0) body(b0, b1 - b0);
    } catch (...) {
#pragma omp critical(wengert_for_row_slices)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

// Scratch tensors that do not outlive a call (the rnn gates, dgates, the packed w_hh), kept per
// thread and reused: a fresh megabyte-sized buffer per call costs more in page faults on first
// touch than the kernels that fill it. Slots are fixed per use; grown when too small.
enum Slot { kSlotGates, kSlotDgx, kSlotDgh, kSlotPacked, kSlotGh, kSlots };
Tensor& scratch_buffer(Slot slot) {
  thread_local Tensor buffers[kSlots];
  return buffers[slot];
}
Tensor scratch(Slot slot, const Shape& shape, DType dtype) {
  Tensor& b = scratch_buffer(slot);
  if (!b.defined() || b.dtype() != dtype || b.numel() < numel_of(shape))
    b = Tensor::empty({numel_of(shape)}, dtype);
  return b.narrow(0, 0, numel_of(shape)).view(shape);
}
// w packed for the step GEMMs, into this thread's reusable buffer.
PackedMatrix pack_step_weight(const Tensor& w) {
  PackedMatrix packed(w, scratch_buffer(kSlotPacked));
  scratch_buffer(kSlotPacked) = packed.panels();
  return packed;
}

// The sizes of one call, its direction (reverse: from t = T - 1 down), whether it has biases,
// and the state-gradient scaling of its backward.
struct Dims {
  std::int64_t T, B, I, H, G;
  bool reverse, bias;
  StateGradientScale scale;
  std::int64_t GH() const { return G * H; }
};

// Step s (0 = the first run) handles time t = first + s * dir; its h_prev is the output at t - dir
// (h0 at s = 0): forward first = 0, dir = 1; reverse first = T - 1, dir = -1.
struct TimeOrder {
  std::int64_t first, dir;
  explicit TimeOrder(const Dims& d) : first(d.reverse ? d.T - 1 : 0), dir(d.reverse ? -1 : 1) {}
  std::int64_t at(std::int64_t s) const { return first + s * dir; }
};

// What a cell's forward step reads and writes, all [T, rows, X] or [rows, X] views of one slice.
struct ForwardViews {
  Tensor gates;   // [T, rows, G*H]: x-side pre-activations in, the cell's gates out
  Tensor out;     // [T, rows, H] hidden states
  Tensor extra;   // gru: W_hn h + b_hn; lstm: c_t  [T, rows, H]
  Tensor h0, c0;  // [rows, H]
  Tensor gh;      // gru: [rows, G*H] scratch for W_hh h_prev
  Tensor b_hh;    // gru: the hidden-side biases [G*H] (zeros without biases)
};

// What a cell's backward step reads and writes.
struct BackwardViews {
  Tensor gates, out, extra, h0, c0;  // as in the forward (gates: the saved activations)
  Tensor dy;                         // [T, rows, H]: d(loss)/d(output)
  Tensor dgx, dgh;                   // [T, rows, G*H]: dgates of the x side and the h side
  Tensor dh_rec, dc;                 // [rows, H]: dh from step t + 1; lstm: dc_t (in), dc_{t-1}
};

// Run step s of one thread's slice: the cell kernels, the packed w_hh, the slice's views, and
// at(x) / prev(x, x0), the [rows, X] slices of step s and of step s - 1 (x0 at s = 0).
template <class Scalar, class Views>
struct Step {
  const Kernels<Scalar>& k;
  const PackedMatrix& w;
  const Views& v;
  TimeOrder order;
  std::int64_t s;
  Tensor at(const Tensor& x) const { return x[order.at(s)]; }
  Tensor prev(const Tensor& x, const Tensor& x0) const { return s == 0 ? x0 : x[order.at(s - 1)]; }
};
template <class Scalar>
Scalar* ptr(const Tensor& t) {
  return t.data<Scalar>();
}

// The three cells: each one's forward step and, right below, its backward step. The packed w_hh
// is w_hh^T [H, G*H] in the forward and w_hh [G*H, H] in the backward; dgh aliases dgx except
// for gru, whose n block differs on the two sides.
template <class Scalar>
using ForwardStep = Step<Scalar, ForwardViews>;
template <class Scalar>
using BackwardStep = Step<Scalar, BackwardViews>;

struct RnnCell {
  bool relu;
  static constexpr bool kSavesGates = false, kOwnHiddenSide = false, kCellState = false;

  // gates_t += h_prev @ w_hh^T;  h = act(gates_t)
  template <class Scalar>
  void forward(const ForwardStep<Scalar>& st) const {
    const Tensor gates = st.at(st.v.gates), h = st.at(st.v.out);
    packed_matmul_into(gates, st.prev(st.v.out, st.v.h0), st.w, true);
    st.k.rnn_forward(relu, h.size(0), h.size(1), ptr<Scalar>(gates), ptr<Scalar>(h));
  }
  // dgates_t from dh_t;  dh_{t-1} = dgates_t @ w_hh
  template <class Scalar>
  void backward(const BackwardStep<Scalar>& st) const {
    const Tensor h = st.at(st.v.out), dgates = st.at(st.v.dgx);
    st.k.rnn_backward(relu, h.size(0), h.size(1), ptr<Scalar>(h), ptr<Scalar>(st.at(st.v.dy)),
                      ptr<Scalar>(st.v.dh_rec), ptr<Scalar>(dgates));
    packed_matmul_into(st.v.dh_rec, dgates, st.w, false);
  }
};

struct GruCell {
  static constexpr bool kSavesGates = true, kOwnHiddenSide = true, kCellState = false;

  // gh = h_prev @ w_hh^T kept apart: n needs r * (W_hn h + b_hn)
  template <class Scalar>
  void forward(const ForwardStep<Scalar>& st) const {
    const ForwardViews& v = st.v;
    const Tensor h_prev = st.prev(v.out, v.h0), h = st.at(v.out);
    packed_matmul_into(v.gh, h_prev, st.w, false);
    st.k.gru_forward(h.size(0), h.size(1), ptr<Scalar>(st.at(v.gates)), ptr<Scalar>(v.gh),
                     ptr<Scalar>(v.b_hh), ptr<Scalar>(h_prev), ptr<Scalar>(st.at(v.extra)),
                     ptr<Scalar>(h));
  }
  // dgx_t, dgh_t from dh_t;  dh_{t-1} = dh_t * z + dgh_t @ w_hh
  template <class Scalar>
  void backward(const BackwardStep<Scalar>& st) const {
    const BackwardViews& v = st.v;
    const Tensor dgh = st.at(v.dgh);
    st.k.gru_backward(dgh.size(0), v.dh_rec.size(1), ptr<Scalar>(st.at(v.gates)),
                      ptr<Scalar>(st.at(v.extra)), ptr<Scalar>(st.prev(v.out, v.h0)),
                      ptr<Scalar>(st.at(v.dy)), ptr<Scalar>(v.dh_rec), ptr<Scalar>(st.at(v.dgx)),
                      ptr<Scalar>(dgh));
    packed_matmul_into(v.dh_rec, dgh, st.w, true);
  }
};

struct LstmCell {
  static constexpr bool kSavesGates = true, kOwnHiddenSide = false, kCellState = true;

  // gates_t += h_prev @ w_hh^T;  c, h from the gates
  template <class Scalar>
  void forward(const ForwardStep<Scalar>& st) const {
    const ForwardViews& v = st.v;
    const Tensor gates = st.at(v.gates), h = st.at(v.out);
    packed_matmul_into(gates, st.prev(v.out, v.h0), st.w, true);
    st.k.lstm_forward(h.size(0), h.size(1), ptr<Scalar>(gates), ptr<Scalar>(st.prev(v.extra, v.c0)),
                      ptr<Scalar>(st.at(v.extra)), ptr<Scalar>(h));
  }
  // dgates_t, dc_{t-1} from dh_t, dc_t;  dh_{t-1} = dgates_t @ w_hh
  template <class Scalar>
  void backward(const BackwardStep<Scalar>& st) const {
    const BackwardViews& v = st.v;
    const Tensor dgates = st.at(v.dgx);
    st.k.lstm_backward(dgates.size(0), v.dh_rec.size(1), ptr<Scalar>(st.at(v.gates)),
                       ptr<Scalar>(st.prev(v.extra, v.c0)), ptr<Scalar>(st.at(v.extra)),
                       ptr<Scalar>(st.at(v.dy)), ptr<Scalar>(v.dh_rec), ptr<Scalar>(v.dc),
                       ptr<Scalar>(dgates));
    packed_matmul_into(v.dh_rec, dgates, st.w, false);
  }
};

// The one switch over the cell kind: body(cell) with the cell's type.
template <class F>
decltype(auto) with_cell(CellKind kind, F&& body) {
  switch (kind) {
    case CellKind::rnn_tanh:
      return body(RnnCell{false});
    case CellKind::rnn_relu:
      return body(RnnCell{true});
    case CellKind::gru:
      return body(GruCell{});
    case CellKind::lstm:
      break;
  }
  return body(LstmCell{});
}

// Everything the forward produces; the backward reads it back from the tape's saved tensors.
struct ForwardResult {
  Tensor out;    // [T, B, H] hidden states; lstm: [T + 1, B, H], row T = c after the last step
  Tensor gates;  // gru / lstm: gate activations [T, B, G*H]
  Tensor extra;  // gru: W_hn h + b_hn [T, B, H]; lstm: c_t [T, B, H]
};

template <class Scalar, class Cell>
ForwardResult forward(const Cell& cell, const Dims& d, const Tensor& x, const Tensor& h0,
                      const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                      const Tensor& b_hh) {
  const Kernels<Scalar>& k = fused::kernels<Scalar>();
  const std::int64_t T = d.T, B = d.B, H = d.H, GH = d.GH();
  const DType dt = w_ih.dtype();
  ForwardResult r;
  // The gates: saved for gru / lstm (their activations), scratch for rnn (the output suffices).
  const Tensor gates =
      Cell::kSavesGates ? Tensor::empty({T, B, GH}, dt) : scratch(kSlotGates, {T, B, GH}, dt);
  Tensor gates_rows = gates.view({T * B, GH});
  const Tensor out_all = Tensor::empty({Cell::kCellState ? T + 1 : T, B, H}, dt);
  r.out = out_all;
  const Tensor out = out_all.narrow(0, 0, T);
  if (Cell::kSavesGates) r.extra = Tensor::empty({T, B, H}, dt);
  const Tensor b_hh_or_zeros = d.bias ? b_hh : zeros({GH}, dt);

  // gates = x @ w_ih^T + b_ih (+ b_hh, except for gru whose n gate needs W_hn h + b_hn apart):
  // every row starts as the bias, then one GEMM over all T * B rows adds the projection.
  // Token ids stand for one-hot rows, whose product with w_ih^T is column `id` of w_ih: a gather
  // from w_ih^T (transposed once, [I, G*H]) instead of a GEMM over mostly zeros.
  const Tensor bias = !d.bias ? zeros({GH}, dt) : Cell::kOwnHiddenSide ? b_ih : add(b_ih, b_hh);
  if (x.dtype() == DType::i64) {  // row = bias + column ids[row] of w_ih, in one pass
    const Tensor w_ih_t = w_ih.t().contiguous();  // [I, G*H]
    const std::int64_t* ids = x.data<std::int64_t>();
    const Scalar* columns = w_ih_t.data<Scalar>();
    Scalar* rows = gates_rows.data<Scalar>();
    for (std::int64_t row = 0; row < T * B; ++row)  // (rows of contiguous [., G*H] tensors)
      simd::add_row(GH, bias.data<Scalar>(), columns + ids[row] * GH, rows + row * GH);
  } else {
    gates_rows.copy_(bias);
    matmul_into(gates_rows, x.view({T * B, d.I}), w_ih.t(), 1.0, 1.0);
  }

  const PackedMatrix w_hh_t = pack_step_weight(w_hh.t());  // [H, G*H], for the H-deep steps
  const Tensor gh = Cell::kOwnHiddenSide ? scratch(kSlotGh, {B, GH}, dt) : Tensor();
  const RowSplit split = split_rows(B, GH, H);
  for_row_slices(split, B, [&](std::int64_t b0, std::int64_t rows) {
    auto part = [&](const Tensor& t, std::int64_t axis) {
      return t.defined() ? t.narrow(axis, b0, rows) : Tensor();
    };
    const ForwardViews v{part(gates, 1), part(out, 1), part(r.extra, 1), part(h0, 0),
                         part(c0, 0),    part(gh, 0),  b_hh_or_zeros};
    for (std::int64_t s = 0; s < T; ++s)
      cell.forward(ForwardStep<Scalar>{k, w_hh_t, v, TimeOrder(d), s});
  });
  if (Cell::kCellState) out_all[T].copy_(r.extra[TimeOrder(d).at(T - 1)]);
  if (Cell::kSavesGates) r.gates = gates;
  return r;
}

// Gradients of the inputs; undefined when not needed.
struct Grads {
  Tensor dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh;
};

// db[j] = sum over all rows of m[row, j] (m contiguous), with the tensor module's row kernel.
template <class Scalar>
Tensor column_sums(const Tensor& m) {
  const std::int64_t n = m.size(1);
  Tensor sums = zeros({n}, m.dtype());
  Scalar* acc = sums.data<Scalar>();
  const Scalar* rows = m.data<Scalar>();
  for (std::int64_t row = 0; row < m.size(0); ++row) simd::add_row(n, rows + row * n, acc, acc);
  return sums;
}

template <class Scalar, class Cell>
Grads backward(const Cell& cell, const Dims& d, const BackwardCtx& ctx, bool need_dx,
               const Tensor& dout_in) {
  const Kernels<Scalar>& k = fused::kernels<Scalar>();
  const std::int64_t T = d.T, B = d.B, H = d.H, GH = d.GH();
  const Tensor& x = ctx.saved("x");
  const Tensor& h0 = ctx.saved("h0");
  const Tensor& w_ih = ctx.saved("w_ih");
  const DType dt = w_ih.dtype();
  const Tensor out = ctx.out().narrow(0, 0, T);
  const Tensor dout = dout_in.contiguous();

  // dgates of every step: [T, B, G*H]. For gru the x side and the h side differ in the n block.
  const Tensor dgx = scratch(kSlotDgx, {T, B, GH}, dt);
  const Tensor dgh = Cell::kOwnHiddenSide ? scratch(kSlotDgh, {T, B, GH}, dt) : dgx;
  Grads r;
  r.dh0 = zeros({B, H}, dt);  // dh_rec: the part of dh_t coming from step t + 1, zero at T - 1
  if (Cell::kCellState) r.dc0 = dout[T].clone();  // dc_T = d(loss)/d(c_T), the output's last row

  const PackedMatrix w_hh = pack_step_weight(ctx.saved("w_hh"));  // [G*H, H], the G*H-deep steps
  const RowSplit split = split_rows(B, GH, H);
  for_row_slices(split, B, [&](std::int64_t b0, std::int64_t rows) {
    auto part = [&](const Tensor& t, std::int64_t axis) {
      return t.defined() ? t.narrow(axis, b0, rows) : Tensor();
    };
    const BackwardViews v{part(ctx.saved("gates"), 1),
                          part(out, 1),
                          part(ctx.saved("extra"), 1),
                          part(h0, 0),
                          part(ctx.saved("c0"), 0),
                          part(dout.narrow(0, 0, T), 1),
                          part(dgx, 1),
                          part(dgh, 1),
                          part(r.dh0, 0),
                          part(r.dc0, 0)};
    Tensor dh_rec = v.dh_rec, dc = v.dc;  // (handles: scaled in place below)
    for (std::int64_t s = T - 1; s >= 0; --s) {
      cell.backward(BackwardStep<Scalar>{k, w_hh, v, TimeOrder(d), s});
      // The unbiased truncation's reweighting: the state entering step s >= from_step passes
      // its gradient on times factor (dh_rec and dc now hold d(loss)/d(state before step s)).
      if (s >= d.scale.from_step && d.scale.scales()) {
        dh_rec.mul_(d.scale.factor);
        if (Cell::kCellState) dc.mul_(d.scale.factor);
      }
    }
  });

  // Weight gradients, one GEMM each over all T * B rows (the sum over time is the K loop):
  //   dW_hh = dgh^T @ h_prev: h0 at the first step run, the neighbour output elsewhere; forward
  //           rows 1..T-1 pair with outputs 0..T-2, reverse rows 0..T-2 with outputs 1..T-1
  //           (two GEMMs: h0 is not stored next to the outputs)
  //   dW_ih = dgx^T @ x          dx = dgx @ w_ih          db = column sums of dgates
  const TimeOrder order(d);
  const std::int64_t later = d.reverse ? 0 : 1;  // the first of the rows that follow another step
  auto rows_of = [](const Tensor& t) { return t.reshape({t.numel() / t.size(-1), t.size(-1)}); };
  r.dw_hh = Tensor::empty({GH, H}, dt);
  matmul_into(r.dw_hh, dgh[order.first].t(), h0);
  matmul_into(r.dw_hh, rows_of(dgh.narrow(0, later, T - 1)).t(),
              rows_of(out.narrow(0, 1 - later, T - 1)), 1.0, 1.0);
  const Tensor dgx_rows = rows_of(dgx);
  if (x.dtype() == DType::i64) {  // one-hot rows: dW_ih^T[id] += dgx row (a scatter-add)
    const Tensor by_id = index_add({d.I, GH}, 0, x.flatten(), dgx_rows);  // [I, G*H]
    r.dw_ih = by_id.t().contiguous();
    // Every row of dgx went into exactly one row of by_id, so its column sums are dgx's: I rows
    // to add instead of T * B.
    if (d.bias) r.db_ih = column_sums<Scalar>(by_id);
  } else {
    r.dw_ih = matmul(dgx_rows.t(), rows_of(x));
    if (d.bias) r.db_ih = column_sums<Scalar>(dgx_rows);
  }
  if (need_dx) r.dx = matmul(dgx_rows, w_ih).view({T, B, d.I});
  if (d.bias) r.db_hh = Cell::kOwnHiddenSide ? column_sums<Scalar>(rows_of(dgh)) : r.db_ih;
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
                          bool reverse, StateGradientScale scale) {
  check_shapes(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh);
  const bool lstm = kind == CellKind::lstm, bias = b_ih.defined();
  const bool ids = x.dtype() == DType::i64;  // token ids standing for one-hot rows
  const Dims d{
      x.size(0), x.size(1), ids ? w_ih.size(1) : x.size(2), h0.size(1), gate_count(kind), reverse,
      bias,      scale};
  const DType dt = w_ih.dtype();

  // Contiguous values (no copy when they already are); the backward reads these back.
  const Tensor x_c = x.value().contiguous(), h0_c = h0.value().contiguous();
  const Tensor c0_c = lstm ? c0.value().contiguous() : Tensor();
  const Tensor w_ih_c = w_ih.value().contiguous(), w_hh_c = w_hh.value().contiguous();
  const Tensor b_hh_c = bias ? b_hh.value().contiguous() : Tensor();
  const Tensor b_ih_c = bias ? b_ih.value().contiguous() : Tensor();

  ForwardResult f = with_cell(kind, [&](const auto& cell) {
    auto run = [&]<class Scalar>() {
      return forward<Scalar>(cell, d, x_c, h0_c, c0_c, w_ih_c, w_hh_c, b_ih_c, b_hh_c);
    };
    return dt == DType::f32 ? run.template operator()<float>() : run.template operator()<double>();
  });
  std::vector<SavedTensor> saved{{"x", x_c},         {"h0", h0_c},      {"c0", c0_c},
                                 {"w_ih", w_ih_c},   {"w_hh", w_hh_c},  {"b_hh", b_hh_c},
                                 {"gates", f.gates}, {"extra", f.extra}};

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
          Grads g = with_cell(kind, [&](const auto& cell) {
            return ctx.in_dtype(w0) == DType::f32
                       ? backward<float>(cell, d, ctx, ctx.needs(0), ctx.dout)
                       : backward<double>(cell, d, ctx, ctx.needs(0), ctx.dout);
          });
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
