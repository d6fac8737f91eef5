/* Bounds-checked FlexBuffer reader (see flexbuffer.h for the format summary). */
#include "flexbuffer.h"

#include <math.h>
#include <string.h>

#include "error.h"

static int valid_width(size_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

/* [pos, pos + n) lies inside the buffer. */
static int in_bounds(const mcl_flex_ref *r, size_t pos, size_t n)
{
    return pos <= r->size && n <= r->size - pos;
}

static mcl_status read_uint(const mcl_flex_ref *r, size_t pos, size_t width, uint64_t *out,
                            mcl_error *err)
{
    if (!valid_width(width))
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: byte width %zu at offset %zu", width,
                        pos);
    if (!in_bounds(r, pos, width))
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flexbuffer: %zu-byte value at offset %zu outside the %zu-byte buffer",
                        width, pos, r->size);
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++) v |= (uint64_t)r->buf[pos + i] << (8 * i);
    *out = v;
    return MCL_OK;
}

static mcl_status read_int(const mcl_flex_ref *r, size_t pos, size_t width, int64_t *out,
                           mcl_error *err)
{
    uint64_t u = 0;
    mcl_status st = read_uint(r, pos, width, &u, err);
    if (st != MCL_OK) return st;
    /* Sign-extend from the stored width without relying on implementation-defined casts. */
    if (width < 8 && (u >> (8 * width - 1)) & 1u) u |= ~(uint64_t)0 << (8 * width);
    *out = (u >> 63) ? -(int64_t)(~u) - 1 : (int64_t)u;
    return MCL_OK;
}

static mcl_status read_float(const mcl_flex_ref *r, size_t pos, size_t width, double *out,
                             mcl_error *err)
{
    if (width != 4 && width != 8)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: float of %zu bytes at offset %zu",
                        width, pos);
    uint64_t u = 0;
    mcl_status st = read_uint(r, pos, width, &u, err);
    if (st != MCL_OK) return st;
    if (width == 4) {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, sizeof f);
        *out = f;
    } else {
        memcpy(out, &u, sizeof *out);
    }
    return MCL_OK;
}

/* Target of an offset-typed value: the slot minus the unsigned offset stored in it. */
static mcl_status indirect(const mcl_flex_ref *r, size_t *target, mcl_error *err)
{
    uint64_t off = 0;
    mcl_status st = read_uint(r, r->slot, r->parent_width, &off, err);
    if (st != MCL_OK) return st;
    if (off > r->slot)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flexbuffer: offset %llu at %zu points before the buffer",
                        (unsigned long long)off, r->slot);
    *target = r->slot - (size_t)off;
    return MCL_OK;
}

static mcl_status make_ref(const uint8_t *buf, size_t size, size_t slot, size_t parent_width,
                           uint8_t packed, mcl_flex_ref *out, mcl_error *err)
{
    if (!valid_width(parent_width))
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: byte width %zu", parent_width);
    out->buf = buf;
    out->size = size;
    out->slot = slot;
    out->parent_width = (uint8_t)parent_width;
    out->width = (uint8_t)(1u << (packed & 3u));
    out->type = (uint8_t)(packed >> 2);
    if (!in_bounds(out, slot, parent_width))
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: value at offset %zu outside the buffer",
                        slot);
    return MCL_OK;
}

mcl_status mcl_flex_root(const uint8_t *buf, size_t size, mcl_flex_ref *root, mcl_error *err)
{
    if (!root || (!buf && size)) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    memset(root, 0, sizeof *root);
    if (size < 3) return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: %zu bytes is too short", size);
    size_t width = buf[size - 1];
    if (!valid_width(width))
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: root byte width %zu", width);
    if (size < 2 + width)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: %zu bytes cannot hold a %zu-byte root",
                        size, width);
    return make_ref(buf, size, size - 2 - width, width, buf[size - 2], root, err);
}

int mcl_flex_is_null(const mcl_flex_ref *r) { return !r || r->type == MCL_FLEX_NULL; }

/* Reads a scalar as either an integer (is_float = 0) or a double (is_float = 1). */
static mcl_status scalar(const mcl_flex_ref *r, int64_t *i, double *d, int *is_float,
                         mcl_error *err)
{
    size_t target = 0;
    uint64_t u = 0;
    mcl_status st = MCL_OK;
    *is_float = 0;
    *i = 0;
    *d = 0.0;
    switch (r->type) {
    case MCL_FLEX_NULL: return MCL_OK;
    case MCL_FLEX_INT: return read_int(r, r->slot, r->parent_width, i, err);
    case MCL_FLEX_UINT:
    case MCL_FLEX_BOOL:
        st = read_uint(r, r->slot, r->parent_width, &u, err);
        break;
    case MCL_FLEX_FLOAT:
        *is_float = 1;
        return read_float(r, r->slot, r->parent_width, d, err);
    case MCL_FLEX_INDIRECT_INT:
        if ((st = indirect(r, &target, err)) != MCL_OK) return st;
        return read_int(r, target, r->width, i, err);
    case MCL_FLEX_INDIRECT_UINT:
        if ((st = indirect(r, &target, err)) != MCL_OK) return st;
        st = read_uint(r, target, r->width, &u, err);
        break;
    case MCL_FLEX_INDIRECT_FLOAT:
        if ((st = indirect(r, &target, err)) != MCL_OK) return st;
        *is_float = 1;
        return read_float(r, target, r->width, d, err);
    default:
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: value of type %u is not a number",
                        r->type);
    }
    if (st != MCL_OK) return st;
    if (u > (uint64_t)INT64_MAX)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: unsigned value %llu is too large",
                        (unsigned long long)u);
    *i = (int64_t)u;
    return MCL_OK;
}

mcl_status mcl_flex_as_int64(const mcl_flex_ref *r, int64_t *out, mcl_error *err)
{
    if (!r || !out) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    int64_t i;
    double d;
    int is_float;
    mcl_status st = scalar(r, &i, &d, &is_float, err);
    if (st != MCL_OK) return st;
    if (is_float) {
        /* Converting a NaN or an out-of-range double to an integer is undefined in C. */
        if (!(d > -9.2e18 && d < 9.2e18))
            return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: %g is not an integer", d);
        i = (int64_t)d;
    }
    *out = i;
    return MCL_OK;
}

mcl_status mcl_flex_as_double(const mcl_flex_ref *r, double *out, mcl_error *err)
{
    if (!r || !out) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    int64_t i;
    double d;
    int is_float;
    mcl_status st = scalar(r, &i, &d, &is_float, err);
    if (st != MCL_OK) return st;
    *out = is_float ? d : (double)i;
    return MCL_OK;
}

mcl_status mcl_flex_as_bool(const mcl_flex_ref *r, int *out, mcl_error *err)
{
    if (!r || !out) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    int64_t i;
    double d;
    int is_float;
    mcl_status st = scalar(r, &i, &d, &is_float, err);
    if (st != MCL_OK) return st;
    *out = is_float ? d != 0.0 : i != 0;
    return MCL_OK;
}

/* A NUL-terminated string starting at pos, the NUL inside the buffer. */
static mcl_status c_string(const mcl_flex_ref *r, size_t pos, const char **str, size_t *len,
                           mcl_error *err)
{
    if (pos >= r->size)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: key at offset %zu outside the buffer",
                        pos);
    const uint8_t *nul = memchr(r->buf + pos, 0, r->size - pos);
    if (!nul)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: key at offset %zu is not terminated",
                        pos);
    *str = (const char *)(r->buf + pos);
    *len = (size_t)(nul - (r->buf + pos));
    return MCL_OK;
}

mcl_status mcl_flex_as_string(const mcl_flex_ref *r, const char **str, size_t *len,
                              mcl_error *err)
{
    if (!r || !str || !len) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    size_t target = 0;
    mcl_status st;
    if (r->type == MCL_FLEX_KEY) {
        if ((st = indirect(r, &target, err)) != MCL_OK) return st;
        return c_string(r, target, str, len, err);
    }
    if (r->type != MCL_FLEX_STRING)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: value of type %u is not a string",
                        r->type);
    if ((st = indirect(r, &target, err)) != MCL_OK) return st;
    uint64_t n = 0;
    if (target < r->width)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: string at %zu has no length", target);
    if ((st = read_uint(r, target - r->width, r->width, &n, err)) != MCL_OK) return st;
    /* The bytes and their terminating NUL. */
    if (n >= r->size || !in_bounds(r, target, (size_t)n + 1) || r->buf[target + n] != 0)
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flexbuffer: string of %llu bytes at %zu does not fit the buffer",
                        (unsigned long long)n, target);
    *str = (const char *)(r->buf + target);
    *len = (size_t)n;
    return MCL_OK;
}

/* Where a vector-like value's elements live and how to read them. */
typedef struct vec_view {
    size_t data;     /* offset of element 0 */
    size_t len;
    size_t width;    /* bytes per element */
    int typed;       /* element type fixed (no type bytes) */
    uint8_t elem_type;
} vec_view;

static int typed_element(uint8_t t, uint8_t *elem, size_t *fixed_len)
{
    *fixed_len = 0;
    if (t >= MCL_FLEX_VECTOR_INT && t <= MCL_FLEX_VECTOR_STRING_DEPRECATED) {
        *elem = (uint8_t)(t - MCL_FLEX_VECTOR_INT + MCL_FLEX_INT);
        return 1;
    }
    if (t == MCL_FLEX_VECTOR_BOOL) {
        *elem = MCL_FLEX_BOOL;
        return 1;
    }
    if (t >= MCL_FLEX_VECTOR_INT2 && t <= MCL_FLEX_VECTOR_FLOAT4) {
        *elem = (uint8_t)((t - MCL_FLEX_VECTOR_INT2) % 3 + MCL_FLEX_INT);
        *fixed_len = (size_t)((t - MCL_FLEX_VECTOR_INT2) / 3 + 2);
        return 1;
    }
    return 0;
}

static mcl_status view_vector(const mcl_flex_ref *r, vec_view *v, mcl_error *err)
{
    size_t fixed_len = 0;
    memset(v, 0, sizeof *v);
    if (r->type == MCL_FLEX_MAP || r->type == MCL_FLEX_VECTOR) {
        v->typed = 0;
    } else if (typed_element(r->type, &v->elem_type, &fixed_len)) {
        v->typed = 1;
    } else {
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: value of type %u is not a vector",
                        r->type);
    }
    mcl_status st = indirect(r, &v->data, err);
    if (st != MCL_OK) return st;
    v->width = r->width;
    if (fixed_len) {
        v->len = fixed_len;
    } else {
        uint64_t n = 0;
        if (v->data < v->width)
            return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: vector at %zu has no length",
                            v->data);
        if ((st = read_uint(r, v->data - v->width, v->width, &n, err)) != MCL_OK) return st;
        if (n > r->size)
            return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: vector of %llu elements in %zu bytes",
                            (unsigned long long)n, r->size);
        v->len = (size_t)n;
    }
    /* len <= size and width <= 8, so len * (width + 1) cannot overflow. */
    size_t bytes = v->len * v->width + (v->typed ? 0 : v->len);
    if (!in_bounds(r, v->data, bytes))
        return mcl_fail(err, MCL_ERR_MODEL,
                        "flexbuffer: vector of %zu elements at %zu outside the buffer", v->len,
                        v->data);
    return MCL_OK;
}

/* The keys vector of a map: offset of key slot 0, the count and the keys' width. */
static mcl_status view_keys(const mcl_flex_ref *map, const vec_view *v, size_t *keys,
                            size_t *keys_width, mcl_error *err)
{
    if (map->type != MCL_FLEX_MAP)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: value of type %u is not a map",
                        map->type);
    /* [keys offset][keys width][length] precede the values. */
    if (v->data < 3 * v->width)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: map at %zu has no key vector", v->data);
    uint64_t kw = 0;
    mcl_status st = read_uint(map, v->data - 2 * v->width, v->width, &kw, err);
    if (st != MCL_OK) return st;
    if (!valid_width((size_t)kw))
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: map keys of width %llu",
                        (unsigned long long)kw);
    mcl_flex_ref kref = *map;
    kref.slot = v->data - 3 * v->width;
    kref.parent_width = (uint8_t)v->width;
    size_t kdata = 0;
    if ((st = indirect(&kref, &kdata, err)) != MCL_OK) return st;
    uint64_t n = 0;
    if (kdata < kw)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: key vector at %zu has no length", kdata);
    if ((st = read_uint(map, kdata - (size_t)kw, (size_t)kw, &n, err)) != MCL_OK) return st;
    if (n != v->len)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: map of %zu values has %llu keys", v->len,
                        (unsigned long long)n);
    if (!in_bounds(map, kdata, v->len * (size_t)kw))
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: key vector at %zu outside the buffer",
                        kdata);
    *keys = kdata;
    *keys_width = (size_t)kw;
    return MCL_OK;
}

mcl_status mcl_flex_length(const mcl_flex_ref *r, size_t *len, mcl_error *err)
{
    if (!r || !len) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    vec_view v;
    mcl_status st = view_vector(r, &v, err);
    if (st != MCL_OK) return st;
    if (r->type == MCL_FLEX_MAP) {
        size_t keys = 0, kw = 0;
        if ((st = view_keys(r, &v, &keys, &kw, err)) != MCL_OK) return st;
    }
    *len = v.len;
    return MCL_OK;
}

mcl_status mcl_flex_element(const mcl_flex_ref *r, size_t i, mcl_flex_ref *out, mcl_error *err)
{
    if (!r || !out) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    vec_view v;
    mcl_status st = view_vector(r, &v, err);
    if (st != MCL_OK) return st;
    if (i >= v.len)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: element %zu of a vector of %zu", i,
                        v.len);
    size_t slot = v.data + i * v.width;
    /* Typed vectors: scalars of the vector's width; the packed type's width bits are 0. */
    uint8_t packed = v.typed ? (uint8_t)(v.elem_type << 2)
                             : r->buf[v.data + v.len * v.width + i];
    return make_ref(r->buf, r->size, slot, v.width, packed, out, err);
}

mcl_status mcl_flex_map_key(const mcl_flex_ref *map, size_t i, const char **key, size_t *len,
                            mcl_error *err)
{
    if (!map || !key || !len) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    vec_view v;
    size_t keys = 0, kw = 0;
    mcl_status st = view_vector(map, &v, err);
    if (st != MCL_OK) return st;
    if ((st = view_keys(map, &v, &keys, &kw, err)) != MCL_OK) return st;
    if (i >= v.len)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: key %zu of a map of %zu", i, v.len);
    mcl_flex_ref kref;
    if ((st = make_ref(map->buf, map->size, keys + i * kw, kw, MCL_FLEX_KEY << 2, &kref, err)))
        return st;
    return mcl_flex_as_string(&kref, key, len, err);
}

mcl_status mcl_flex_map_get(const mcl_flex_ref *map, const char *key, mcl_flex_ref *out,
                            mcl_error *err)
{
    if (!map || !key || !out) return mcl_fail(err, MCL_ERR_ARGUMENT, "flexbuffer: NULL argument");
    size_t n;
    mcl_status st = mcl_flex_length(map, &n, err);
    if (st != MCL_OK) return st;
    if (map->type != MCL_FLEX_MAP)
        return mcl_fail(err, MCL_ERR_MODEL, "flexbuffer: value of type %u is not a map",
                        map->type);
    size_t want = strlen(key);
    for (size_t i = 0; i < n; i++) {
        const char *k;
        size_t klen;
        if ((st = mcl_flex_map_key(map, i, &k, &klen, err)) != MCL_OK) return st;
        if (klen == want && memcmp(k, key, want) == 0) return mcl_flex_element(map, i, out, err);
    }
    memset(out, 0, sizeof *out);
    out->buf = map->buf;
    out->size = map->size;
    out->type = MCL_FLEX_NULL;
    out->parent_width = out->width = 1;
    return mcl_ok(err);
}
