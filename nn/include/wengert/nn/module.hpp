// Module: the base of every layer. It owns named parameters (leaf Vars with requires_grad), named
// buffers (tensors that are state but not trained: running statistics, fixed masks) and named
// sub-modules, and walks them recursively: parameters(), dotted names ("rnn.weight_hh_l0"),
// train/eval, zero_grad, a printed summary, and the state_dict used by checkpoints (parameters
// then buffers). Optimizers see parameters() only, so buffers are never optimized. to(dtype)
// converts the whole tree in place, parameters and buffers alike.
// A custom module registers its parts in its constructor and writes a forward; nothing else.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>
#include <wengert/autograd.hpp>

namespace wengert::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;

  std::vector<Var> parameters() const;  // depth-first, registration order
  std::vector<std::pair<std::string, Var>> named_parameters() const;  // "rnn.weight_hh_l0"
  // Buffers, depth-first like the parameters ("norm.running_mean"); the tensors themselves.
  NamedTensors named_buffers() const;
  // Direct sub-modules, in registration order (not recursive).
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

  void train(bool on = true);  // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();  // every parameter's grad becomes undefined

  std::int64_t num_parameters() const;
  // An indented tree: each module with its type and parameter count, each parameter with its
  // shape and count, and the total on the first line.
  std::string summary() const;
  // The type shown in summary(): the class name without namespaces, unless overridden.
  virtual std::string type_name() const;

  // Converts every floating parameter (with its grad) and floating buffer of the tree to `dtype`
  // (f32 or f64), in place: each stays the same Var, now holding the converted value, so the
  // module's members and any Var taken from parameters() see it. Integer buffers are kept (as
  // torch.nn.Module.to). Optimizers keep per-parameter state (momentum, Adam's moments) in the
  // parameter's dtype: create them after to(); one whose state already exists refuses to step a
  // converted parameter, naming it. Throws for a non-floating dtype.
  Module& to(DType dtype);

  // name -> parameter value, then name -> buffer (the tensors themselves, not copies).
  NamedTensors state_dict() const;
  // All-or-nothing: validates every name, shape and dtype first (throws naming the tensor on a
  // missing or unexpected name or a mismatch), then copies the values in.
  void load_state_dict(const NamedTensors& state);

 protected:
  // A leaf with requires_grad holding `init`; the name must be new and contain no '.'.
  Var register_parameter(std::string name, Tensor init);
  // A buffer: saved in state_dict and checkpoints, loaded in place, converted by to(), never a
  // parameter. Returned as a Var without requires_grad, so the handle a module keeps follows
  // to() as its parameters do (use it in forward as a constant, update it in place through
  // mutable_value()). Same naming rules as parameters; any defined tensor.
  Var register_buffer(std::string name, Tensor init);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    add_child(std::move(name), m);
    return m;
  }

 private:
  void add_child(std::string name, std::shared_ptr<Module> m);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Var>>& out) const;
  void collect_buffers(const std::string& prefix, NamedTensors& out) const;
  void convert_buffers(DType dtype);
  void describe(const std::string& name, int depth, std::string& out) const;

  std::vector<std::pair<std::string, Var>> params_;
  std::vector<std::pair<std::string, Var>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& out, const Module& m);  // prints summary()

}  // namespace wengert::nn
