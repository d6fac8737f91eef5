/*
 * A tiny FlatBuffers writer for the tests: builds a tree of tables, vectors and strings in
 * memory, then lays it out front to back (each parent before its children, so every uoffset
 * is positive; each vtable just before its table).  After tb_finish the position of every node
 * and table field is known, so a test can patch hostile values into exact places.
 *
 * Not a general FlatBuffers library: no vtable sharing, no nested flatbuffers, each node is
 * referenced once.  Failures (out of memory, a node reused) abort the test through cmocka.
 */
#ifndef MCL_TFLITE_BUILDER_H
#define MCL_TFLITE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#define TB_MAX_FIELDS 16

typedef struct tb_builder tb_builder;
typedef struct tb_node tb_node;

tb_builder *tb_new(void);
/* Frees the builder and every node (not the buffer tb_finish returned). */
void tb_free(tb_builder *b);

tb_node *tb_table(tb_builder *b);
/* Scalar field of width 1, 2, 4 or 8 bytes (value copied little-endian from the low bytes). */
void tb_scalar(tb_node *table, int field, uint64_t bits, size_t width);
void tb_u8(tb_node *table, int field, uint8_t v);
void tb_i32(tb_node *table, int field, int32_t v);
void tb_u32(tb_node *table, int field, uint32_t v);
void tb_u64(tb_node *table, int field, uint64_t v);
void tb_f32(tb_node *table, int field, float v);
/* Reference field: a table, vector or string node. */
void tb_ref(tb_node *table, int field, tb_node *child);

/* Vector of n scalars of elem_size bytes (copied from data), the elements aligned to align. */
tb_node *tb_vector(tb_builder *b, const void *data, size_t n, size_t elem_size, size_t align);
tb_node *tb_vec_i32(tb_builder *b, const int32_t *v, size_t n);
tb_node *tb_vec_i64(tb_builder *b, const int64_t *v, size_t n);
tb_node *tb_vec_f32(tb_builder *b, const float *v, size_t n);
tb_node *tb_vec_u8(tb_builder *b, const uint8_t *v, size_t n); /* 16-byte aligned data */
/* Vector of tables (items copied; each item must not be used elsewhere). */
tb_node *tb_vec_tables(tb_builder *b, tb_node *const *items, size_t n);
tb_node *tb_string(tb_builder *b, const char *s);

/* Lays out root with file identifier ident (4 characters, or NULL for none).  Returns a
 * malloc'ed buffer of *size bytes. */
uint8_t *tb_finish(tb_builder *b, tb_node *root, const char *ident, size_t *size);

/* After tb_finish: position of a table (its soffset), or of a vector's / string's length word. */
size_t tb_pos(const tb_node *n);
/* After tb_finish: position of a table field's inline bytes (0 when the field is not set). */
size_t tb_field_pos(const tb_node *table, int field);

#endif
