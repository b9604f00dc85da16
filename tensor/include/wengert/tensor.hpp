// The whole tensor library in one include.
#pragma once

#include "tensor/dtype.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/enum_names.hpp"
#include "tensor/error.hpp"
#include "tensor/gemm.hpp"
#include "tensor/index.hpp"
#include "tensor/linalg.hpp"
#include "tensor/print.hpp"
#include "tensor/random.hpp"
#include "tensor/reduce.hpp"
#include "tensor/shape.hpp"
#include "tensor/tensor.hpp"
