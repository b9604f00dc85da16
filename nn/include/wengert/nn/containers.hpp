// Containers of modules, as torch.nn.Sequential and torch.nn.ModuleList. Both register their
// members as named children ("0", "1", ... unless named), so parameter names, summary(), train /
// eval and checkpoints work through them unchanged.
//
//   nn::Sequential net;
//   net.push_back(std::make_shared<nn::Linear>(8, 32, gen));
//   net.push_back("act", [](const Var& x) { return relu(x); });   // a parameter-free step
//   net.push_back(std::make_shared<nn::Dropout>(0.1));             // takes the Generator
//   Var y = net.forward(x, gen);                                   // or forward(x) without dropout
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "module.hpp"

namespace wengert::nn {

// A module whose forward maps one Var to one Var, with or without a random Generator.
template <class M>
concept UnaryModule = std::derived_from<M, Module> && requires(const M& m, const Var& x) {
  { m.forward(x) } -> std::convertible_to<Var>;
};
template <class M>
concept RandomUnaryModule = std::derived_from<M, Module> &&
    requires(const M& m, const Var& x, Generator& gen) {
  { m.forward(x, gen) } -> std::convertible_to<Var>;
};

// A parameter-free function as a module (relu, a reshape, ...); "Function" in the summary.
class Function : public Module {
 public:
  explicit Function(std::function<Var(const Var&)> f);
  Var forward(const Var& x) const { return f_(x); }

 private:
  std::function<Var(const Var&)> f_;
};

class Sequential : public Module {
 public:
  // Appends m, named by its position ("0", "1", ...) or by `name`; returns m for later access.
  template <class M>
  requires UnaryModule<M> || RandomUnaryModule<M> std::shared_ptr<M> push_back(
      std::shared_ptr<M> m) {
    return push_back(std::to_string(steps_.size()), std::move(m));
  }
  template <class M>
  requires UnaryModule<M> || RandomUnaryModule<M> std::shared_ptr<M> push_back(
      std::string name, std::shared_ptr<M> m) {
    register_module(name, m);
    const M* raw = m.get();
    if constexpr (UnaryModule<M>) {
      steps_.push_back(
          {std::move(name), [raw](const Var& x, Generator*) { return raw->forward(x); }});
    } else {
      steps_.push_back({name, [raw, name](const Var& x, Generator* gen) {
                          return raw->forward(x, generator_for(name, *raw, gen));
                        }});
    }
    return m;
  }
  void push_back(std::string name, std::function<Var(const Var&)> f);  // wraps f in a Function

  // Runs the steps in order. The overload without a Generator throws, naming the step, when a
  // step that takes one (Dropout) is in training mode; in eval mode such a step gets a fixed-seed
  // Generator (dropout ignores it there).
  Var forward(const Var& x) const;
  Var forward(const Var& x, Generator& gen) const;
  std::size_t size() const { return steps_.size(); }

 private:
  static Generator& generator_for(const std::string& step, const Module& m, Generator* gen);
  Var run(const Var& x, Generator* gen) const;

  struct Step {
    std::string name;
    std::function<Var(const Var&, Generator*)> run;
  };
  std::vector<Step> steps_;
};

// An indexed list of modules of any type; the owner decides how to call them.
class ModuleList : public Module {
 public:
  template <class M>
  requires std::derived_from<M, Module> std::shared_ptr<M> push_back(std::shared_ptr<M> m) {
    register_module(std::to_string(items_.size()), m);
    items_.push_back(m);
    return m;
  }
  std::size_t size() const { return items_.size(); }
  const std::shared_ptr<Module>& operator[](std::size_t i) const;  // throws past the end
  // The i-th module as an M; throws naming both types when it is not one.
  template <class M>
  std::shared_ptr<M> get(std::size_t i) const {
    auto m = std::dynamic_pointer_cast<M>((*this)[i]);
    if (!m) wrong_type(i, typeid(M).name());
    return m;
  }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  [[noreturn]] void wrong_type(std::size_t i, const char* wanted) const;
  std::vector<std::shared_ptr<Module>> items_;
};

}  // namespace wengert::nn
