// Private to dist/: MPI error codes to exceptions, dtypes to MPI datatypes, checked counts.
#pragma once

#include <mpi.h>

#include <wengert/tensor.hpp>

namespace wengert::dist::detail {

void check_mpi(int code, const char* call);  // throws naming the call and MPI's reason
MPI_Datatype mpi_type(DType dtype);
int mpi_count(const Tensor& t, const char* op);  // contiguous, at most INT_MAX elements
void* address_of(const Tensor& t);               // its first element, whatever the dtype

}  // namespace wengert::dist::detail
