#pragma once
// OpenBLAS's CBLAS interface (Debian/Ubuntu: libopenblas-dev; pkg-config "openblas" adds the
// include path of the pthread variant, where cblas.h lives).
#include <cblas.h>
