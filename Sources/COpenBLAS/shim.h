#ifndef KEYSCAN_COPENBLAS_SHIM_H
#define KEYSCAN_COPENBLAS_SHIM_H
// pkg-config openblas puts /usr/include/x86_64-linux-gnu/openblas-pthread on the include path.
#include <cblas.h>
#endif
