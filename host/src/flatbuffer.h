/*
 * Bounds-checked reading of FlatBuffers (the container format of .tflite files).
 *
 * A flatbuffer is little-endian: the buffer starts with a uoffset (uint32) to the root table;
 * a table starts with an soffset (int32) back to its vtable; the vtable holds its own size,
 * the table's inline size and one uint16 offset per field (0 = absent, the schema default).
 * Reference fields (tables, vectors, strings) hold a uoffset relative to where it is stored;
 * a vector is a uint32 length followed by its elements.
 *
 * Nothing here trusts the buffer: every offset, length and vtable entry is checked against the
 * buffer size before anything is read, all reads go through memcpy (no alignment assumed), and
 * nothing recurses.  Failures return MCL_ERR_MODEL with the byte position that was bad.
 * Field numbers are the 0-based declaration order in the schema (deprecated fields count).
 */
#ifndef MCL_FLATBUFFER_H
#define MCL_FLATBUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "mobilecl.h"

typedef struct mcl_fb_table {
    const uint8_t *buf;
    size_t size;        /* bytes in buf */
    size_t pos;         /* position of the table */
    size_t vtable;      /* position of its vtable */
    size_t vt_size;     /* bytes of the vtable */
    size_t inline_size; /* bytes of the table's inline part */
} mcl_fb_table;

typedef struct mcl_fb_vector {
    const uint8_t *buf;
    size_t size;
    size_t pos;         /* position of the first element (0 for an absent vector) */
    size_t len;         /* number of elements */
    size_t elem_size;   /* bytes per element (4 for a vector of tables) */
} mcl_fb_vector;

/* 1 when bytes 4..7 are the 4-character file identifier id. */
int mcl_fb_has_identifier(const uint8_t *buf, size_t size, const char *id);

/* The root table. */
mcl_status mcl_fb_root(const uint8_t *buf, size_t size, mcl_fb_table *root, mcl_error *err);

/* Opens the table at byte pos, checking its vtable. */
mcl_status mcl_fb_table_at(const uint8_t *buf, size_t size, size_t pos, mcl_fb_table *t,
                           mcl_error *err);

/* 1 when the field is stored (non-default) in the table. */
int mcl_fb_has_field(const mcl_fb_table *t, int field);

/* Scalar fields: *out = the stored value, or def when the field is absent.  Error only when the
 * vtable places the field outside the table. */
mcl_status mcl_fb_u8(const mcl_fb_table *t, int field, uint8_t def, uint8_t *out, mcl_error *err);
mcl_status mcl_fb_i8(const mcl_fb_table *t, int field, int8_t def, int8_t *out, mcl_error *err);
mcl_status mcl_fb_u16(const mcl_fb_table *t, int field, uint16_t def, uint16_t *out,
                      mcl_error *err);
mcl_status mcl_fb_i32(const mcl_fb_table *t, int field, int32_t def, int32_t *out,
                      mcl_error *err);
mcl_status mcl_fb_u32(const mcl_fb_table *t, int field, uint32_t def, uint32_t *out,
                      mcl_error *err);
mcl_status mcl_fb_i64(const mcl_fb_table *t, int field, int64_t def, int64_t *out,
                      mcl_error *err);
mcl_status mcl_fb_u64(const mcl_fb_table *t, int field, uint64_t def, uint64_t *out,
                      mcl_error *err);
mcl_status mcl_fb_f32(const mcl_fb_table *t, int field, float def, float *out, mcl_error *err);

/* A sub-table field.  *present = 0 (and *out zeroed) when the field is absent. */
mcl_status mcl_fb_table_field(const mcl_fb_table *t, int field, mcl_fb_table *out, int *present,
                              mcl_error *err);

/* A vector field of elem_size-byte scalars (or 4 for a vector of tables/strings).  An absent
 * field gives an empty vector. */
mcl_status mcl_fb_vector_field(const mcl_fb_table *t, int field, size_t elem_size,
                               mcl_fb_vector *out, mcl_error *err);

/* A string field: *str points into the buffer (NUL-terminated, checked), *len its length.
 * Absent: *str = NULL, *len = 0. */
mcl_status mcl_fb_string_field(const mcl_fb_table *t, int field, const char **str, size_t *len,
                               mcl_error *err);

/* Element i of a vector of tables. */
mcl_status mcl_fb_vector_table(const mcl_fb_vector *v, size_t i, mcl_fb_table *out,
                               mcl_error *err);

/* Element i of a scalar vector; the caller keeps i < v->len (out of range reads return 0). */
uint8_t mcl_fb_vector_u8(const mcl_fb_vector *v, size_t i);
int32_t mcl_fb_vector_i32(const mcl_fb_vector *v, size_t i);
int64_t mcl_fb_vector_i64(const mcl_fb_vector *v, size_t i);
float mcl_fb_vector_f32(const mcl_fb_vector *v, size_t i);

/* The raw bytes of a vector (len * elem_size of them, all inside the buffer); NULL when empty. */
const uint8_t *mcl_fb_vector_data(const mcl_fb_vector *v);

#endif
