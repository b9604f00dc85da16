// wengert::dist: data-parallel training over MPI (optional: built when CMake finds MPI).
#pragma once

#include "dist/communicator.hpp"
#include "dist/gradient_reducer.hpp"
