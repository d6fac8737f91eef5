/*
 * Host blocks for the read-only buffers of a CPU OpenCL device (PoCL): the buffers are created
 * with CL_MEM_USE_HOST_PTR on memory from here, which PoCL uses in place, so an upload is one
 * copy into a block backed by huge pages (bigalloc.h) instead of PoCL allocating 4 kB pages
 * per buffer and copying into them (MobileNetV2's 14 MB of weights: ~8 ms -> ~1.5 ms here).
 *
 * Bump allocation in chunks; each buffer holds a reference on its chunk, dropped by its
 * destructor callback, so a chunk lives until the last buffer in it is released (layers
 * prepared and released again, as the tuner does, give their memory back chunk by chunk).
 */
#ifndef MCL_CL_STORE_H
#define MCL_CL_STORE_H

#include <CL/cl.h>
#include <stddef.h>

typedef struct mcl_cl_store mcl_cl_store;

/* A read-only buffer of `bytes` whose contents fill() writes (fill(dst, ctx) must write all
 * `bytes`): the memory comes from *store (created on first use).  Returns the buffer, or NULL
 * with *rc set (CL_OUT_OF_HOST_MEMORY when no memory could be had). */
cl_mem mcl_cl_store_buffer(mcl_cl_store **store, cl_context context, size_t bytes,
                           void (*fill)(void *dst, const void *ctx), const void *ctx, cl_int *rc);

/* Drops the store's own reference on its open chunk (buffers keep theirs). */
void mcl_cl_store_free(mcl_cl_store *store);

#endif
