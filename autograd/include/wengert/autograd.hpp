// The whole autograd library in one include: Var and the tape, the ops (ops.hpp is the table of
// contents of the calculus), backward / grad, gradcheck, and the opt-in tools (hooks, anomaly mode,
// Graphviz export).
#pragma once

#include "autograd/anomaly.hpp"
#include "autograd/backward.hpp"
#include "autograd/dot.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/hooks.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/record.hpp"
#include "autograd/record_outputs.hpp"
#include "autograd/saved.hpp"
#include "autograd/tape.hpp"
#include "autograd/var.hpp"
