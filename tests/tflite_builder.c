#include "tflite_builder.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

enum { TB_TABLE, TB_VECTOR, TB_VEC_TABLES, TB_STRING };

typedef struct tb_field {
    int set;
    size_t width;        /* scalar width, or 4 for a reference */
    uint64_t bits;       /* scalar value */
    tb_node *child;      /* reference target */
    size_t offset;       /* inside the table, after layout */
} tb_field;

struct tb_node {
    int kind;
    tb_field fields[TB_MAX_FIELDS];
    uint8_t *data;       /* vector / string bytes */
    size_t n, elem_size, align;
    tb_node **items;     /* vector of tables */
    size_t pos;
    int emitted;
    tb_node *next_alloc;
};

struct tb_builder {
    tb_node *nodes;
    uint8_t *out;
    size_t len, cap;
};

tb_builder *tb_new(void)
{
    tb_builder *b = calloc(1, sizeof *b);
    assert_non_null(b);
    return b;
}

void tb_free(tb_builder *b)
{
    if (!b) return;
    tb_node *n = b->nodes;
    while (n) {
        tb_node *next = n->next_alloc;
        free(n->data);
        free(n->items);
        free(n);
        n = next;
    }
    free(b);
}

static tb_node *new_node(tb_builder *b, int kind)
{
    tb_node *n = calloc(1, sizeof *n);
    assert_non_null(n);
    n->kind = kind;
    n->next_alloc = b->nodes;
    b->nodes = n;
    return n;
}

tb_node *tb_table(tb_builder *b) { return new_node(b, TB_TABLE); }

void tb_scalar(tb_node *t, int field, uint64_t bits, size_t width)
{
    assert_true(t->kind == TB_TABLE && field >= 0 && field < TB_MAX_FIELDS);
    assert_true(width == 1 || width == 2 || width == 4 || width == 8);
    t->fields[field].set = 1;
    t->fields[field].width = width;
    t->fields[field].bits = bits;
    t->fields[field].child = NULL;
}

void tb_u8(tb_node *t, int field, uint8_t v) { tb_scalar(t, field, v, 1); }
void tb_i32(tb_node *t, int field, int32_t v) { tb_scalar(t, field, (uint32_t)v, 4); }
void tb_u32(tb_node *t, int field, uint32_t v) { tb_scalar(t, field, v, 4); }
void tb_u64(tb_node *t, int field, uint64_t v) { tb_scalar(t, field, v, 8); }

void tb_f32(tb_node *t, int field, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    tb_scalar(t, field, bits, 4);
}

void tb_ref(tb_node *t, int field, tb_node *child)
{
    assert_true(t->kind == TB_TABLE && field >= 0 && field < TB_MAX_FIELDS && child);
    t->fields[field].set = 1;
    t->fields[field].width = 4;
    t->fields[field].child = child;
}

tb_node *tb_vector(tb_builder *b, const void *data, size_t n, size_t elem_size, size_t align)
{
    tb_node *v = new_node(b, TB_VECTOR);
    v->data = malloc(n * elem_size + 1);
    assert_non_null(v->data);
    if (n) memcpy(v->data, data, n * elem_size);
    v->n = n;
    v->elem_size = elem_size;
    v->align = align < 4 ? 4 : align;
    return v;
}

tb_node *tb_vec_i32(tb_builder *b, const int32_t *v, size_t n)
{
    /* Little-endian hosts only, like the engine. */
    return tb_vector(b, v, n, 4, 4);
}

tb_node *tb_vec_i64(tb_builder *b, const int64_t *v, size_t n) { return tb_vector(b, v, n, 8, 8); }
tb_node *tb_vec_f32(tb_builder *b, const float *v, size_t n) { return tb_vector(b, v, n, 4, 4); }
tb_node *tb_vec_u8(tb_builder *b, const uint8_t *v, size_t n) { return tb_vector(b, v, n, 1, 16); }

tb_node *tb_vec_tables(tb_builder *b, tb_node *const *items, size_t n)
{
    tb_node *v = new_node(b, TB_VEC_TABLES);
    v->items = malloc((n ? n : 1) * sizeof *v->items);
    assert_non_null(v->items);
    if (n) memcpy(v->items, items, n * sizeof *items);
    v->n = n;
    return v;
}

tb_node *tb_string(tb_builder *b, const char *s)
{
    tb_node *v = new_node(b, TB_STRING);
    v->n = strlen(s);
    v->data = malloc(v->n + 1);
    assert_non_null(v->data);
    memcpy(v->data, s, v->n + 1);
    return v;
}

/* ------------------------------------------------------------------------- layout */

static void put(tb_builder *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        b->out = realloc(b->out, cap);
        assert_non_null(b->out);
        b->cap = cap;
    }
    if (src)
        memcpy(b->out + b->len, src, n);
    else
        memset(b->out + b->len, 0, n);
    b->len += n;
}

static void put_le(tb_builder *b, uint64_t v, size_t width)
{
    uint8_t bytes[8];
    for (size_t i = 0; i < width; i++) bytes[i] = (uint8_t)(v >> (8 * i));
    put(b, bytes, width);
}

static void patch_u32(tb_builder *b, size_t pos, uint32_t v)
{
    for (int i = 0; i < 4; i++) b->out[pos + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* Pads so that (len + extra) is a multiple of align. */
static void pad(tb_builder *b, size_t align, size_t extra)
{
    while ((b->len + extra) % align) put(b, NULL, 1);
}

static size_t emit(tb_builder *b, tb_node *n, int depth);

/* Emits child and points the uoffset at slot to it. */
static void emit_ref(tb_builder *b, size_t slot, tb_node *child, int depth)
{
    size_t pos = emit(b, child, depth + 1);
    assert_true(pos > slot);
    patch_u32(b, slot, (uint32_t)(pos - slot));
}

static size_t emit_table(tb_builder *b, tb_node *t, int depth)
{
    int nslots = 0;
    size_t off = 4, max_width = 4;
    for (int f = 0; f < TB_MAX_FIELDS; f++) {
        tb_field *fl = &t->fields[f];
        if (!fl->set) continue;
        nslots = f + 1;
        off = (off + fl->width - 1) / fl->width * fl->width;
        fl->offset = off;
        off += fl->width;
        if (fl->width > max_width) max_width = fl->width;
    }
    size_t inline_size = off;
    size_t vt_size = 4 + 2 * (size_t)nslots;
    /* vtable, then the table aligned for its widest field. */
    pad(b, 2, 0);
    size_t vt_pos = b->len;
    put_le(b, vt_size, 2);
    put_le(b, inline_size, 2);
    for (int f = 0; f < nslots; f++) put_le(b, t->fields[f].set ? t->fields[f].offset : 0, 2);
    pad(b, max_width, 0);
    size_t pos = b->len;
    put_le(b, (uint32_t)(int32_t)(pos - vt_pos), 4);
    put(b, NULL, inline_size - 4);
    for (int f = 0; f < TB_MAX_FIELDS; f++) {
        tb_field *fl = &t->fields[f];
        if (!fl->set || fl->child) continue;
        for (size_t i = 0; i < fl->width; i++)
            b->out[pos + fl->offset + i] = (uint8_t)(fl->bits >> (8 * i));
    }
    t->pos = pos;
    for (int f = 0; f < TB_MAX_FIELDS; f++) {
        tb_field *fl = &t->fields[f];
        if (fl->set && fl->child) emit_ref(b, pos + fl->offset, fl->child, depth);
    }
    return pos;
}

static size_t emit(tb_builder *b, tb_node *n, int depth)
{
    assert_true(depth < 64);
    assert_false(n->emitted);
    n->emitted = 1;
    switch (n->kind) {
    case TB_TABLE:
        return emit_table(b, n, depth);
    case TB_VECTOR:
        pad(b, n->align, 4);
        n->pos = b->len;
        put_le(b, n->n, 4);
        put(b, n->data, n->n * n->elem_size);
        return n->pos;
    case TB_STRING:
        pad(b, 4, 0);
        n->pos = b->len;
        put_le(b, n->n, 4);
        put(b, n->data, n->n + 1);
        return n->pos;
    case TB_VEC_TABLES: {
        pad(b, 4, 0);
        n->pos = b->len;
        put_le(b, n->n, 4);
        put(b, NULL, 4 * n->n);
        for (size_t i = 0; i < n->n; i++) emit_ref(b, n->pos + 4 + 4 * i, n->items[i], depth);
        return n->pos;
    }
    }
    fail_msg("tb: bad node kind");
    return 0;
}

uint8_t *tb_finish(tb_builder *b, tb_node *root, const char *ident, size_t *size)
{
    b->out = NULL;
    b->len = b->cap = 0;
    put(b, NULL, 4);
    if (ident)
        put(b, ident, 4);
    emit_ref(b, 0, root, 0);
    pad(b, 16, 0);
    *size = b->len;
    uint8_t *out = b->out;
    b->out = NULL;
    b->len = b->cap = 0;
    return out;
}

size_t tb_pos(const tb_node *n) { return n->pos; }

size_t tb_field_pos(const tb_node *t, int field)
{
    if (t->kind != TB_TABLE || field < 0 || field >= TB_MAX_FIELDS || !t->fields[field].set)
        return 0;
    return t->pos + t->fields[field].offset;
}
