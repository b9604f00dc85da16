// Sequential, ModuleList and the Function step (see containers.hpp).
#include <cxxabi.h>

#include <cstdlib>
#include <wengert/nn/containers.hpp>

namespace wengert::nn {

Function::Function(std::function<Var(const Var&)> f) : f_(std::move(f)) {
  check(static_cast<bool>(f_), "Function: empty std::function");
}

void Sequential::push_back(std::string name, std::function<Var(const Var&)> f) {
  push_back(std::move(name), std::make_shared<Function>(std::move(f)));
}

Generator& Sequential::generator_for(const std::string& step, const Module& m, Generator* gen) {
  thread_local Generator eval_generator(0);
  if (gen == nullptr && !m.is_training()) return eval_generator;
  check(gen != nullptr, "Sequential: step '", step,
        "' needs a random Generator: call forward(x, gen)");
  return *gen;
}

Var Sequential::run(const Var& x, Generator* gen) const {
  Var y = x;
  for (const Step& s : steps_) y = s.run(y, gen);
  return y;
}

Var Sequential::forward(const Var& x) const { return run(x, nullptr); }
Var Sequential::forward(const Var& x, Generator& gen) const { return run(x, &gen); }

const std::shared_ptr<Module>& ModuleList::operator[](std::size_t i) const {
  check(i < items_.size(), "ModuleList: index ", i, " out of range (size ", items_.size(), ")");
  return items_[i];
}

void ModuleList::wrong_type(std::size_t i, const char* wanted) const {
  int status = 0;
  char* demangled = abi::__cxa_demangle(wanted, nullptr, nullptr, &status);
  const std::string name = status == 0 && demangled ? demangled : wanted;
  std::free(demangled);
  fail("ModuleList: module ", i, " is a ", items_[i]->type_name(), ", not a ", name);
}

}  // namespace wengert::nn
