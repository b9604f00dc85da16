// Initialisers. The layers' defaults follow PyTorch (so weights move between the two and give the
// same outputs); xavier_uniform and orthogonal are offered for re-initialising a parameter:
//   nn::init::orthogonal_(rnn.parameters()[1], gen);
// Shapes: a weight is [fan_out, fan_in, ...] as in PyTorch (receptive field = trailing axes).
#pragma once

#include <wengert/autograd.hpp>

namespace wengert::nn::init {

// U(-bound, bound): the PyTorch default of Linear (bound = 1/sqrt(fan_in), from kaiming_uniform
// with a = sqrt(5)) and of the recurrent cells (bound = 1/sqrt(hidden)).
Tensor uniform_bound(const Shape& shape, double bound, Generator& gen, DType dtype = DType::f32);
// Glorot & Bengio: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform(const Shape& shape, Generator& gen, double gain = 1.0,
                      DType dtype = DType::f32);
// Saxe et al.: a (semi-)orthogonal matrix, the Q of the QR decomposition of a normal matrix
// (R's diagonal made positive), times gain; rank >= 2, trailing axes flattened as columns.
Tensor orthogonal(const Shape& shape, Generator& gen, double gain = 1.0, DType dtype = DType::f32);

// In-place versions that overwrite a parameter's value (no graph recorded).
void xavier_uniform_(const Var& param, Generator& gen, double gain = 1.0);
void orthogonal_(const Var& param, Generator& gen, double gain = 1.0);

}  // namespace wengert::nn::init
