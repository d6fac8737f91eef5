/* The OpenCL sources of cl_kernels/, embedded at build time by cmake/embed_kernels.cmake. */
#ifndef MCL_CL_SOURCES_H
#define MCL_CL_SOURCES_H

#include <stddef.h>

typedef struct { const char *name; const char *source; size_t length; } mcl_cl_source;

/* Terminated by an entry whose name is NULL. */
extern const mcl_cl_source mcl_cl_embedded_sources[];
extern const int mcl_cl_embedded_source_count;

#endif
