#include "cl_store.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "../bigalloc.h"

/* PoCL uses a host pointer in place when it is aligned to CL_DEVICE_MEM_BASE_ADDR_ALIGN
 * (1024 bits there); 4 kB covers every CPU device. */
#define ALIGN ((size_t)4096)
/* Large enough that MobileNetV2's weights take a few chunks; a larger buffer gets its own. */
#define CHUNK_BYTES ((size_t)8 << 20)

typedef struct chunk {
    atomic_int refs; /* one per buffer, plus one while it is the store's open chunk */
    size_t size, used;
    unsigned char *data;
} chunk;

struct mcl_cl_store {
    chunk *open;
};

static void unref(chunk *c)
{
    if (atomic_fetch_sub(&c->refs, 1) == 1) {
        free(c->data);
        free(c);
    }
}

static void CL_CALLBACK buffer_released(cl_mem mem, void *user)
{
    (void)mem;
    unref(user);
}

static chunk *new_chunk(size_t bytes)
{
    chunk *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->size = bytes > CHUNK_BYTES ? bytes : CHUNK_BYTES;
    c->used = 0;
    c->data = mcl_big_alloc(c->size + ALIGN);
    if (!c->data) {
        free(c);
        return NULL;
    }
    atomic_init(&c->refs, 1);
    return c;
}

cl_mem mcl_cl_store_buffer(mcl_cl_store **store, cl_context context, size_t bytes,
                           void (*fill)(void *dst, const void *ctx), const void *ctx, cl_int *rc)
{
    *rc = CL_OUT_OF_HOST_MEMORY;
    if (bytes == 0 || bytes > SIZE_MAX - 2 * ALIGN - CHUNK_BYTES) {
        *rc = CL_INVALID_BUFFER_SIZE;
        return NULL;
    }
    if (!*store && !(*store = calloc(1, sizeof **store))) return NULL;
    mcl_cl_store *s = *store;
    const size_t need = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    if (!s->open || s->open->size - s->open->used < need) {
        chunk *c = new_chunk(need);
        if (!c) return NULL;
        if (s->open) unref(s->open);
        s->open = c;
    }
    chunk *c = s->open;
    unsigned char *base = c->data + (ALIGN - (uintptr_t)c->data % ALIGN) % ALIGN;
    void *dst = base + c->used;
    fill(dst, ctx);
    cl_mem mem = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR, bytes, dst, rc);
    if (*rc != CL_SUCCESS) return NULL;
    atomic_fetch_add(&c->refs, 1);
    *rc = clSetMemObjectDestructorCallback(mem, buffer_released, c);
    if (*rc != CL_SUCCESS) {
        /* The buffer was never used by a command, so once released nothing reads the
         * memory: the reference it would have dropped goes now. */
        clReleaseMemObject(mem);
        unref(c);
        return NULL;
    }
    c->used += need;
    return mem;
}

void mcl_cl_store_free(mcl_cl_store *store)
{
    if (!store) return;
    if (store->open) unref(store->open);
    free(store);
}
