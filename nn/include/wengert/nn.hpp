// The whole nn library in one include: the Module base, containers, layers, layer norm, recurrent cells and layers (with
// their fused kernels), the softmax decoder, losses, initialisers, optimizers, gradient clipping,
// learning-rate schedules and checkpoints.
#pragma once

#include "nn/checkpoint.hpp"
#include "nn/clip.hpp"
#include "nn/containers.hpp"
#include "nn/decoder.hpp"
#include "nn/fused_recurrent.hpp"
#include "nn/init.hpp"
#include "nn/layers.hpp"
#include "nn/losses.hpp"
#include "nn/module.hpp"
#include "nn/normalization.hpp"
#include "nn/optim.hpp"
#include "nn/recurrent.hpp"
#include "nn/schedule.hpp"
