// Gradient hooks: stored on the node; the engine (backward.cpp, Sweep::finish) calls them.
#include <wengert/autograd/hooks.hpp>

namespace wengert {

void register_hook(const Var& v, GradHook hook) {
  check(v.defined(), "register_hook: undefined Var");
  if (!v.requires_grad())
    fail("register_hook: ", v.node()->describe(),
         " does not require grad, so no gradient will reach it");
  v.node()->hooks.push_back(std::move(hook));
}

void remove_hooks(const Var& v) {
  check(v.defined(), "remove_hooks: undefined Var");
  v.node()->hooks.clear();
}

}  // namespace wengert
