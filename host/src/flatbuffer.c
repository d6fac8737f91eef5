#include "flatbuffer.h"

#include <string.h>

#include "error.h"

/* Little-endian loads of n bytes at p; the caller has checked p + n <= size. */
static uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t load_u64(const uint8_t *p)
{
    return (uint64_t)load_u32(p) | ((uint64_t)load_u32(p + 4) << 32);
}

/* 1 when [pos, pos + n) lies inside a buffer of size bytes (no overflow possible). */
static int in_bounds(size_t size, size_t pos, size_t n)
{
    return pos <= size && n <= size - pos;
}

int mcl_fb_has_identifier(const uint8_t *buf, size_t size, const char *id)
{
    return buf && size >= 8 && memcmp(buf + 4, id, 4) == 0;
}

mcl_status mcl_fb_root(const uint8_t *buf, size_t size, mcl_fb_table *root, mcl_error *err)
{
    memset(root, 0, sizeof *root);
    if (!buf || size < 4)
        return mcl_fail(err, MCL_ERR_MODEL, "flatbuffer: %zu bytes is too short", size);
    return mcl_fb_table_at(buf, size, load_u32(buf), root, err);
}

mcl_status mcl_fb_table_at(const uint8_t *buf, size_t size, size_t pos, mcl_fb_table *t,
                           mcl_error *err)
{
    memset(t, 0, sizeof *t);
    if (!in_bounds(size, pos, 4))
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: table at byte %zu is outside the %zu-byte file", pos, size);
    /* The vtable lies at pos - soffset; soffset is signed, so it may be before or after. */
    int64_t soff = (int32_t)load_u32(buf + pos);
    int64_t vt = (int64_t)pos - soff;
    if (vt < 0 || (uint64_t)vt > (uint64_t)size || !in_bounds(size, (size_t)vt, 4))
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: vtable of the table at byte %zu is outside the file", pos);
    size_t vtable = (size_t)vt;
    size_t vt_size = load_u16(buf + vtable);
    size_t inline_size = load_u16(buf + vtable + 2);
    if (vt_size < 4 || (vt_size & 1) || !in_bounds(size, vtable, vt_size))
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: bad vtable size %zu at byte %zu", vt_size, vtable);
    if (inline_size < 4 || !in_bounds(size, pos, inline_size))
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: table at byte %zu has bad size %zu", pos, inline_size);
    t->buf = buf;
    t->size = size;
    t->pos = pos;
    t->vtable = vtable;
    t->vt_size = vt_size;
    t->inline_size = inline_size;
    return MCL_OK;
}

/* Offset of a field inside its table, 0 when absent. */
static size_t field_offset(const mcl_fb_table *t, int field)
{
    if (!t->buf || field < 0) return 0;
    size_t slot = 4 + 2 * (size_t)field;
    if (slot + 2 > t->vt_size) return 0;
    return load_u16(t->buf + t->vtable + slot);
}

int mcl_fb_has_field(const mcl_fb_table *t, int field) { return field_offset(t, field) != 0; }

/* Position of a present field of width bytes, checked to lie inside the table; 0 if absent. */
static mcl_status scalar_pos(const mcl_fb_table *t, int field, size_t width, size_t *pos,
                             mcl_error *err)
{
    size_t off = field_offset(t, field);
    *pos = 0;
    if (off == 0) return MCL_OK;
    if (off < 4 || off > t->inline_size || width > t->inline_size - off)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: field %d of the table at byte %zu lies outside the table",
                        field, t->pos);
    *pos = t->pos + off;
    return MCL_OK;
}

#define MCL_FB_SCALAR(fn, type, width, load)                                                  \
    mcl_status fn(const mcl_fb_table *t, int field, type def, type *out, mcl_error *err)      \
    {                                                                                         \
        size_t p;                                                                             \
        *out = def;                                                                           \
        mcl_status st = scalar_pos(t, field, width, &p, err);                                 \
        if (st != MCL_OK) return st;                                                          \
        if (p) *out = (type)(load);                                                           \
        return MCL_OK;                                                                        \
    }

MCL_FB_SCALAR(mcl_fb_u8, uint8_t, 1, t->buf[p])
MCL_FB_SCALAR(mcl_fb_i8, int8_t, 1, (int8_t)t->buf[p])
MCL_FB_SCALAR(mcl_fb_u16, uint16_t, 2, load_u16(t->buf + p))
MCL_FB_SCALAR(mcl_fb_i32, int32_t, 4, (int32_t)load_u32(t->buf + p))
MCL_FB_SCALAR(mcl_fb_u32, uint32_t, 4, load_u32(t->buf + p))
MCL_FB_SCALAR(mcl_fb_i64, int64_t, 8, (int64_t)load_u64(t->buf + p))
MCL_FB_SCALAR(mcl_fb_u64, uint64_t, 8, load_u64(t->buf + p))

mcl_status mcl_fb_f32(const mcl_fb_table *t, int field, float def, float *out, mcl_error *err)
{
    size_t p;
    *out = def;
    mcl_status st = scalar_pos(t, field, 4, &p, err);
    if (st != MCL_OK) return st;
    if (p) {
        uint32_t bits = load_u32(t->buf + p);
        memcpy(out, &bits, sizeof bits);
    }
    return MCL_OK;
}

/* Follows the uoffset stored at byte pos (4 bytes there already checked to be in bounds). */
static mcl_status follow(const uint8_t *buf, size_t size, size_t pos, size_t *target,
                         mcl_error *err)
{
    uint32_t rel = load_u32(buf + pos);
    *target = 0;
    if (rel > size - pos)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: offset %u at byte %zu points outside the %zu-byte file",
                        rel, pos, size);
    *target = pos + rel;
    return MCL_OK;
}

/* Target of a present reference field; *target = 0 when absent. */
static mcl_status ref_field(const mcl_fb_table *t, int field, size_t *target, mcl_error *err)
{
    size_t p;
    *target = 0;
    mcl_status st = scalar_pos(t, field, 4, &p, err);
    if (st != MCL_OK || !p) return st;
    return follow(t->buf, t->size, p, target, err);
}

mcl_status mcl_fb_table_field(const mcl_fb_table *t, int field, mcl_fb_table *out, int *present,
                              mcl_error *err)
{
    size_t target = 0;
    memset(out, 0, sizeof *out);
    *present = 0;
    mcl_status st = ref_field(t, field, &target, err);
    if (st != MCL_OK || !target) return st;
    st = mcl_fb_table_at(t->buf, t->size, target, out, err);
    if (st == MCL_OK) *present = 1;
    return st;
}

/* Opens the vector whose length word is at byte pos. */
static mcl_status vector_at(const uint8_t *buf, size_t size, size_t pos, size_t elem_size,
                            mcl_fb_vector *out, mcl_error *err)
{
    if (!in_bounds(size, pos, 4))
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: vector at byte %zu is outside the %zu-byte file", pos, size);
    uint32_t len = load_u32(buf + pos);
    if (elem_size == 0 || (uint64_t)len > (uint64_t)(size - pos - 4) / elem_size)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: vector of %u elements at byte %zu runs past the end of the "
                        "%zu-byte file", len, pos, size);
    out->buf = buf;
    out->size = size;
    out->pos = pos + 4;
    out->len = len;
    out->elem_size = elem_size;
    return MCL_OK;
}

mcl_status mcl_fb_vector_field(const mcl_fb_table *t, int field, size_t elem_size,
                               mcl_fb_vector *out, mcl_error *err)
{
    size_t target = 0;
    memset(out, 0, sizeof *out);
    out->elem_size = elem_size;
    mcl_status st = ref_field(t, field, &target, err);
    if (st != MCL_OK || !target) return st;
    return vector_at(t->buf, t->size, target, elem_size, out, err);
}

mcl_status mcl_fb_string_field(const mcl_fb_table *t, int field, const char **str, size_t *len,
                               mcl_error *err)
{
    mcl_fb_vector v;
    *str = NULL;
    *len = 0;
    mcl_status st = mcl_fb_vector_field(t, field, 1, &v, err);
    if (st != MCL_OK || !v.buf) return st;
    /* Strings carry a NUL after their bytes; requiring it lets callers use them as C strings. */
    if (v.len >= v.size - v.pos || v.buf[v.pos + v.len] != 0)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flatbuffer: string at byte %zu is not NUL-terminated", v.pos - 4);
    *str = (const char *)(v.buf + v.pos);
    *len = v.len;
    return MCL_OK;
}

mcl_status mcl_fb_vector_table(const mcl_fb_vector *v, size_t i, mcl_fb_table *out,
                               mcl_error *err)
{
    size_t target = 0;
    memset(out, 0, sizeof *out);
    if (!v->buf || i >= v->len || v->elem_size != 4)
        return mcl_fail(err, MCL_ERR_MODEL, "flatbuffer: table %zu of a %zu-element vector", i,
                        v->len);
    mcl_status st = follow(v->buf, v->size, v->pos + 4 * i, &target, err);
    if (st != MCL_OK) return st;
    return mcl_fb_table_at(v->buf, v->size, target, out, err);
}

/* Position of element i when it exists and has width bytes, else 0. */
static size_t elem_pos(const mcl_fb_vector *v, size_t i, size_t width)
{
    if (!v->buf || i >= v->len || v->elem_size != width) return 0;
    return v->pos + i * width;
}

uint8_t mcl_fb_vector_u8(const mcl_fb_vector *v, size_t i)
{
    size_t p = elem_pos(v, i, 1);
    return p ? v->buf[p] : 0;
}

int32_t mcl_fb_vector_i32(const mcl_fb_vector *v, size_t i)
{
    size_t p = elem_pos(v, i, 4);
    return p ? (int32_t)load_u32(v->buf + p) : 0;
}

int64_t mcl_fb_vector_i64(const mcl_fb_vector *v, size_t i)
{
    size_t p = elem_pos(v, i, 8);
    return p ? (int64_t)load_u64(v->buf + p) : 0;
}

float mcl_fb_vector_f32(const mcl_fb_vector *v, size_t i)
{
    size_t p = elem_pos(v, i, 4);
    float f = 0.0f;
    if (p) {
        uint32_t bits = load_u32(v->buf + p);
        memcpy(&f, &bits, sizeof f);
    }
    return f;
}

const uint8_t *mcl_fb_vector_data(const mcl_fb_vector *v)
{
    return v->buf && v->len ? v->buf + v->pos : NULL;
}
