/*
 * A read-only, bounds-checked FlexBuffer reader: enough of the format to read the options of
 * TFLite custom ops (a map of scalars, e.g. TFLite_Detection_PostProcess's), written so that
 * any byte string is safe to hand it.  Every offset, width, length and string is checked
 * against the buffer before it is read; a malformed buffer gives MCL_ERR_MODEL naming what is
 * wrong, never a read outside [buf, buf + size).
 *
 * Format (FlexBuffers, little-endian): the last byte is the root's byte width, the byte before
 * it the root's packed type (type << 2 | log2 of the child width), the root value sits just
 * before those two bytes.  Scalars (int, uint, float, bool, null) are stored inline in their
 * parent's width; everything else is an unsigned offset back from the slot to the value.
 * A vector is preceded by its length and, for untyped vectors and maps, followed by one packed
 * type byte per element; a map is a vector of values preceded by [keys offset, keys width].
 */
#ifndef MCL_FLEXBUFFER_H
#define MCL_FLEXBUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "mobilecl.h"

typedef enum mcl_flex_type {
    MCL_FLEX_NULL = 0,
    MCL_FLEX_INT = 1,
    MCL_FLEX_UINT = 2,
    MCL_FLEX_FLOAT = 3,
    MCL_FLEX_KEY = 4,
    MCL_FLEX_STRING = 5,
    MCL_FLEX_INDIRECT_INT = 6,
    MCL_FLEX_INDIRECT_UINT = 7,
    MCL_FLEX_INDIRECT_FLOAT = 8,
    MCL_FLEX_MAP = 9,
    MCL_FLEX_VECTOR = 10,
    MCL_FLEX_VECTOR_INT = 11,
    MCL_FLEX_VECTOR_UINT = 12,
    MCL_FLEX_VECTOR_FLOAT = 13,
    MCL_FLEX_VECTOR_KEY = 14,
    MCL_FLEX_VECTOR_STRING_DEPRECATED = 15,
    MCL_FLEX_VECTOR_INT2 = 16,
    MCL_FLEX_VECTOR_UINT2 = 17,
    MCL_FLEX_VECTOR_FLOAT2 = 18,
    MCL_FLEX_VECTOR_INT3 = 19,
    MCL_FLEX_VECTOR_UINT3 = 20,
    MCL_FLEX_VECTOR_FLOAT3 = 21,
    MCL_FLEX_VECTOR_INT4 = 22,
    MCL_FLEX_VECTOR_UINT4 = 23,
    MCL_FLEX_VECTOR_FLOAT4 = 24,
    MCL_FLEX_BLOB = 25,
    MCL_FLEX_BOOL = 26,
    MCL_FLEX_VECTOR_BOOL = 36
} mcl_flex_type;

/* A value inside a buffer: where its slot is, the width of that slot (the parent's width) and
 * its packed type.  Plain data: copy it freely; it points into the caller's buffer. */
typedef struct mcl_flex_ref {
    const uint8_t *buf;
    size_t size;
    size_t slot;          /* offset of the value's slot in buf */
    uint8_t parent_width; /* bytes of the slot: 1, 2, 4 or 8 */
    uint8_t width;        /* bytes of the child's elements (from the packed type) */
    uint8_t type;         /* mcl_flex_type */
} mcl_flex_ref;

/* The root value of a buffer. */
mcl_status mcl_flex_root(const uint8_t *buf, size_t size, mcl_flex_ref *root, mcl_error *err);

int mcl_flex_is_null(const mcl_flex_ref *r);

/* Numeric value of an int, uint, float, bool (or their indirect forms), converted the way
 * FlexBuffers' As*() accessors convert (float -> int truncates; null -> 0).  Any other type
 * (string, vector, map...) gives MCL_ERR_MODEL. */
mcl_status mcl_flex_as_int64(const mcl_flex_ref *r, int64_t *out, mcl_error *err);
mcl_status mcl_flex_as_double(const mcl_flex_ref *r, double *out, mcl_error *err);
mcl_status mcl_flex_as_bool(const mcl_flex_ref *r, int *out, mcl_error *err);

/* A string or key: pointer into the buffer and its length (the terminating NUL is checked to
 * be inside the buffer). */
mcl_status mcl_flex_as_string(const mcl_flex_ref *r, const char **str, size_t *len,
                              mcl_error *err);

/* Number of elements of a vector, typed vector or map. */
mcl_status mcl_flex_length(const mcl_flex_ref *r, size_t *len, mcl_error *err);
/* Element i of a vector, typed vector or map (map values in key order). */
mcl_status mcl_flex_element(const mcl_flex_ref *r, size_t i, mcl_flex_ref *out, mcl_error *err);
/* Key i of a map (keys are sorted). */
mcl_status mcl_flex_map_key(const mcl_flex_ref *map, size_t i, const char **key, size_t *len,
                            mcl_error *err);
/* The value stored under key in a map; a missing key gives a null value (*out->type ==
 * MCL_FLEX_NULL), as FlexBuffers does.  Linear scan: option maps are small, and a linear scan
 * does not depend on the keys being sorted, which a hostile buffer need not respect. */
mcl_status mcl_flex_map_get(const mcl_flex_ref *map, const char *key, mcl_flex_ref *out,
                            mcl_error *err);

#endif
