/* Large blocks that are written once right after allocation (the model file while it is
 * parsed, the dequantized weights). */
#ifndef MCL_BIGALLOC_H
#define MCL_BIGALLOC_H

#include <stddef.h>

/* malloc for blocks of 2 MiB and more: 2 MiB aligned and advised as transparent huge pages
 * where the system has them, so that the first touch costs one page fault per 2 MiB instead
 * of one per 4 kB (14 MB of fresh memory: 5.6-8.5 ms -> 1.6-3 ms on the project's VM, whose
 * page faults cost ~1.5 us each; bigalloc.c says what it can cost).  Smaller blocks are plain
 * malloc.  Free with free(). */
void *mcl_big_alloc(size_t bytes);

#endif
