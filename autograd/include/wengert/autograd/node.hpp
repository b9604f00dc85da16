// Node: one value of the Wengert list and, when an op computed it with grad mode on and some
// input requiring a gradient, the tape entry that produced it: op name, input edges, saved
// tensors and the backward rule. Every entry has exactly one output (multi-output ops such as
// split are compositions of single-output ones), so the entry lives inside its output's node:
// it is freed exactly when nothing can reach that output any more.
//
// Writing an op: compute the value with tensor kernels, then call record() with the inputs, which
// of them the backward reads (`saves`), and the backward rule, right below the forward:
//   Var tanh(const Var& x) {
//     return record("tanh", tanh(x.value()), {x}, kSaveOut,
//                   [](BackwardCtx& c) { c.add(0, c.dout * (1.0 - c.out() * c.out())); });
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "var.hpp"

namespace wengert {

class BackwardCtx;
using BackwardFn = std::function<void(BackwardCtx&)>;
using GradHook = std::function<Tensor(const Tensor&)>;  // see hooks.hpp

// An input of an entry (PyTorch's edge): the input's node and its storage version when recorded.
struct Edge {
  std::shared_ptr<Node> node;
  std::uint64_t version = 0;
};

// The inputs of an entry: up to two stored inline (nearly every op), more on the heap (concat),
// so recording a unary or binary op allocates nothing but its Node.
class Edges {
 public:
  static constexpr std::size_t kInline = 2;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Edge* begin() { return heap_.empty() ? inline_ : heap_.data(); }
  Edge* end() { return begin() + size_; }
  const Edge* begin() const { return heap_.empty() ? inline_ : heap_.data(); }
  const Edge* end() const { return begin() + size_; }
  Edge& operator[](std::size_t i) { return begin()[i]; }
  const Edge& operator[](std::size_t i) const { return begin()[i]; }
  void reserve(std::size_t n) {
    if (n > kInline) heap_.reserve(n);
  }
  void push_back(Edge e) {
    if (heap_.empty() && size_ < kInline) {
      inline_[size_++] = std::move(e);
      return;
    }
    if (heap_.empty())  // spill the inline edges first, keeping the storage contiguous
      for (std::size_t i = 0; i < size_; ++i) heap_.push_back(std::move(inline_[i]));
    heap_.push_back(std::move(e));
    ++size_;
  }
  void clear() {
    for (Edge& e : inline_) e = Edge{};
    heap_.clear();
    size_ = 0;
  }

 private:
  Edge inline_[kInline];
  std::vector<Edge> heap_;
  std::size_t size_ = 0;
};

// An extra tensor a backward needs (a mask, probabilities, indices), with its version when saved.
struct SavedTensor {
  Tensor tensor;
  std::uint64_t version = 0;
};

// Which of an entry's own inputs and output its backward reads: checked at backward time against
// in-place writes (storage version counter), and counted in the tape's "saved bytes".
enum Saves : std::uint8_t {
  kSaveNone = 0,
  kSaveIn0 = 1 << 0,
  kSaveIn1 = 1 << 1,
  kSaveIn2 = 1 << 2,
  kSaveOut = 1 << 7,
};

struct Node {
  Tensor value;
  Tensor grad;  // accumulated gradient of a leaf; undefined until a backward reaches it
  std::string name;
  bool requires_grad = false;

  // --- the tape entry (op == nullptr for a leaf or a constant) ---
  const char* op = nullptr;
  bool released = false;  // swept by a backward without retain_graph: inputs and saved freed
  std::uint8_t saves = kSaveNone;
  std::uint32_t tape_id = 0;  // the recording thread's tape
  std::int64_t index = -1;    // position in recording order on that tape
  std::uint64_t out_version = 0;
  Edges inputs;
  std::vector<SavedTensor> saved;
  BackwardFn backward;

  // --- used by the engine during a sweep, and opt-in extras ---
  Tensor pending;              // gradient arriving from consumers, summed over edges
  bool pending_owned = false;  // `pending` is a buffer the sweep allocated (may add in place)
  std::vector<GradHook> hooks;

  bool is_leaf() const { return op == nullptr; }
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();
  // Frees inputs, saved tensors and the backward rule; later sweeps through it throw.
  void release();
  // "'h' (tanh, tape #12, shape [2, 3])" for error messages.
  std::string describe() const;
};

// What a backward rule sees: the output gradient, the values it saved, and add() to pass
// gradients on to its inputs.
class BackwardCtx {
 public:
  const Tensor& dout;  // d(loss)/d(output), the output's shape

  const Tensor& out() const;                   // needs kSaveOut
  const Tensor& in(std::size_t i) const;       // needs kSaveIn<i>
  const Shape& in_shape(std::size_t i) const;  // always available
  DType in_dtype(std::size_t i) const;
  const Tensor& saved(std::size_t k) const;  // the k-th extra tensor given to record()
  std::size_t num_inputs() const { return node_.inputs.size(); }
  // Whether input i wants a gradient; skip computing it otherwise.
  bool needs(std::size_t i) const;
  // Accumulates g into input i's gradient. g may have the broadcast (output) shape: it is summed
  // down to the input's shape here with sum_to, the one place broadcasting is undone.
  void add(std::size_t i, Tensor g);

  BackwardCtx(const Tensor& dout, Node& node, void* sweep)
      : dout(dout), node_(node), sweep_(sweep) {}

 private:
  Node& node_;
  void* sweep_;
};

// Records one tape entry on this thread's tape and returns its output. When grad mode is off or
// no input requires a gradient, nothing is recorded and the result is a constant.
Var record(const char* op, Tensor value,
           std::initializer_list<std::reference_wrapper<const Var>> inputs, std::uint8_t saves,
           BackwardFn backward, std::vector<Tensor> saved = {});
Var record(const char* op, Tensor value, std::span<const Var> inputs, std::uint8_t saves,
           BackwardFn backward, std::vector<Tensor> saved = {});

}  // namespace wengert
