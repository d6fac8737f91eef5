#include "fuzz_entries.h"

#include <stdlib.h>
#include <string.h>

#include "mobilecl.h"
#include "flexbuffer.h"
#include "post/detection.h"
#include "image/image_yuv.h"
#include "post/labels.h"

/* An error must come with a status and a one-line, NUL-terminated message: a refused input
 * that leaves the message empty or unterminated is a bug too. */
static void check_error(mcl_status st, const mcl_error *err)
{
    if (st == MCL_OK) return;
    if (err->code != st || memchr(err->message, '\0', sizeof err->message) == NULL ||
        err->message[0] == '\0' || strchr(err->message, '\n') != NULL)
        abort();
}

int mcl_fuzz_tflite(const uint8_t *data, size_t size)
{
    mcl_error err;
    mcl_model *m = NULL;
    mcl_status st = mcl_model_load_memory(data, size, &m, &err);
    check_error(st, &err);
    if (st != MCL_OK) {
        if (m) abort(); /* a refused model must not be handed out */
        return 1;
    }
    /* Walk everything a caller can ask about a loaded model. */
    for (int i = 0; i < mcl_model_num_inputs(m); i++) {
        mcl_tensor_info info;
        if (mcl_model_input_info(m, i, &info) != MCL_OK) abort();
    }
    for (int i = 0; i < mcl_model_num_outputs(m); i++) {
        mcl_tensor_info info;
        if (mcl_model_output_info(m, i, &info) != MCL_OK) abort();
    }
    for (int i = 0; i < mcl_model_num_layers(m); i++) {
        mcl_layer_info info;
        if (mcl_model_layer_info(m, i, &info) != MCL_OK || !info.op) abort();
    }
    (void)mcl_model_params(m);
    (void)mcl_model_madds(m);
    mcl_model_free(m);
    return 0;
}

int mcl_fuzz_image(const uint8_t *data, size_t size)
{
    mcl_error err;
    mcl_image img;
    mcl_status st = mcl_image_load_memory(data, size, &img, &err);
    check_error(st, &err);
    if (st != MCL_OK) {
        if (img.pixels) abort();
        return 1;
    }
    if (img.width <= 0 || img.height <= 0 || img.channels != 3) abort();
    /* A fixed odd size (shrink or enlarge depending on the input) and one that follows the
     * input's aspect, both small so that the decoder, not the resize, gets the time. */
    uint8_t dst[33 * 29 * 3];
    if (mcl_image_resize(&img, 33, 29, dst, &err) != MCL_OK) abort();
    int w = img.width / 7 + 1, h = img.height / 5 + 1;
    if (w > 33) w = 33;
    if (h > 29) h = 29;
    if (mcl_image_resize(&img, w, h, dst, &err) != MCL_OK) abort();
    mcl_image_free(&img);
    return 0;
}

int mcl_fuzz_labels(const uint8_t *data, size_t size)
{
    mcl_error err;
    mcl_labels labels;
    mcl_status st = mcl_labels_parse("labels", (const char *)data, size, &labels, &err);
    check_error(st, &err);
    if (st != MCL_OK) {
        if (labels.count || labels.names) abort();
        return 1;
    }
    size_t total = 0;
    for (int i = 0; i < labels.count; i++) {
        const char *name = mcl_labels_get(&labels, i);
        if (strchr(name, '\n')) abort();
        total += strlen(name) + 1;
    }
    if (total > size + 1) abort(); /* names are pieces of the input */
    if (mcl_labels_get(&labels, labels.count)[0] || mcl_labels_get(&labels, -1)[0]) abort();
    mcl_labels_free(&labels);
    return 0;
}

/* Visits every value reachable from r (depth and total visits bounded: a hostile buffer can
 * claim 2^32 elements or share children, which must cost no more than the reader's checks). */
static void flex_walk(const mcl_flex_ref *r, int depth, int *budget)
{
    if (depth > 8 || --*budget < 0) return;
    mcl_error err;
    int64_t i64;
    double d;
    int b;
    const char *str;
    size_t len;
    (void)mcl_flex_is_null(r);
    /* The accessors that fit the claimed type (a wrong one is refused after one type check;
     * formatting that error for every value would be most of the time spent). */
    switch (r->type) {
    case MCL_FLEX_INT: case MCL_FLEX_UINT: case MCL_FLEX_FLOAT: case MCL_FLEX_BOOL:
    case MCL_FLEX_INDIRECT_INT: case MCL_FLEX_INDIRECT_UINT: case MCL_FLEX_INDIRECT_FLOAT:
        (void)mcl_flex_as_int64(r, &i64, &err);
        (void)mcl_flex_as_double(r, &d, &err);
        (void)mcl_flex_as_bool(r, &b, &err);
        return;
    case MCL_FLEX_KEY: case MCL_FLEX_STRING:
        if (mcl_flex_as_string(r, &str, &len, &err) == MCL_OK) {
            /* The string and its NUL must lie inside the buffer. */
            if (str < (const char *)r->buf || str + len >= (const char *)r->buf + r->size ||
                str[len] != '\0')
                abort();
        }
        return;
    default:
        break;
    }
    if (depth == 0) (void)mcl_flex_as_int64(r, &i64, &err); /* one wrong-type request */
    if (mcl_flex_length(r, &len, &err) != MCL_OK) return;
    for (size_t i = 0; i < len && i < 16 && *budget > 0; i++) {
        mcl_flex_ref child;
        if (mcl_flex_element(r, i, &child, &err) == MCL_OK) flex_walk(&child, depth + 1, budget);
        size_t key_len;
        if (r->type == MCL_FLEX_MAP) (void)mcl_flex_map_key(r, i, &str, &key_len, &err);
    }
    if (r->type == MCL_FLEX_MAP && depth == 0) { /* a lookup scans the map: once is enough */
        mcl_flex_ref v;
        (void)mcl_flex_map_get(r, "max_detections", &v, &err);
        (void)mcl_flex_map_get(r, "", &v, &err);
    }
}

int mcl_fuzz_flexbuffer(const uint8_t *data, size_t size)
{
    mcl_error err;
    mcl_flex_ref root;
    mcl_status st = mcl_flex_root(data, size, &root, &err);
    check_error(st, &err);
    if (st == MCL_OK) {
        int budget = 64;
        flex_walk(&root, 0, &budget);
    }
    /* The real consumer of such buffers: TFLite_Detection_PostProcess's options. */
    mcl_detection_options o;
    mcl_status ds = mcl_detection_options_parse(data, size, &o, &err);
    check_error(ds, &err);
    if (ds == MCL_OK && (o.max_detections <= 0 || !(o.iou_threshold > 0.0f) ||
                         o.iou_threshold > 1.0f))
        abort();
    return st == MCL_OK && ds == MCL_OK ? 0 : 1;
}

/* A plane of the fuzzed frame: want bytes (cut to what is left of the input) copied into an
 * allocation of exactly that size, so that ASan sees a read past the declared size. */
static uint8_t *take_plane(const uint8_t **data, size_t *left, size_t want, size_t *size)
{
    if (want > *left) want = *left;
    uint8_t *p = malloc(want ? want : 1);
    if (!p) abort();
    memcpy(p, *data, want);
    *data += want;
    *left -= want;
    *size = want;
    return p;
}

int mcl_fuzz_yuv(const uint8_t *data, size_t size)
{
    if (size < 16) return 1;
    const uint8_t *h = data;
    mcl_yuv420 f;
    memset(&f, 0, sizeof f);
    /* Sides up to 64 (0 too), strides around the minimum (too small as well), plane sizes
     * around what the sides need. */
    f.width = h[0] % 65;
    f.height = h[1] % 65;
    f.y_row_stride = f.width + (int)(h[2] % 9) - 2;
    f.uv_pixel_stride = h[3] % 4;
    f.uv_row_stride = (f.width + 1) / 2 * (f.uv_pixel_stride ? f.uv_pixel_stride : 1) +
                      (int)(h[4] % 9) - 3;
    f.range = (mcl_yuv_range)(h[5] % 3);
    const int rotations[] = {0, 90, 180, 270, 45, -90};
    const int rotation = rotations[h[6] % 6];
    /* Plane sizes within 2 bytes of what the sides and strides need (when those are valid),
     * on both sides of the limit. */
    const int cw = (f.width + 1) / 2, ch = (f.height + 1) / 2;
    const long long ps = f.uv_pixel_stride ? f.uv_pixel_stride : 1;
    long long ny = (long long)(f.height - 1) * f.y_row_stride + f.width;
    long long nc = (long long)(ch - 1) * f.uv_row_stride + (cw - 1) * ps + 1;
    ny = ny < 0 ? 0 : ny;
    nc = nc < 0 ? 0 : nc;
    const size_t want_y = (size_t)(ny + h[7] % 5 - 2 < 0 ? 0 : ny + h[7] % 5 - 2);
    const size_t want_u = (size_t)(nc + h[8] % 5 - 2 < 0 ? 0 : nc + h[8] % 5 - 2);
    const size_t want_v = (size_t)(nc + h[9] % 5 - 2 < 0 ? 0 : nc + h[9] % 5 - 2);
    const int dst_w = 1 + h[10] % 24, dst_h = 1 + h[11] % 24;
    data += 16;
    size -= 16;
    uint8_t *y = take_plane(&data, &size, want_y, &f.y_size);
    uint8_t *u = take_plane(&data, &size, want_u, &f.u_size);
    uint8_t *v = take_plane(&data, &size, want_v, &f.v_size);
    f.y = y;
    f.u = u;
    f.v = v;

    mcl_error err;
    mcl_image img;
    mcl_status st = mcl_image_from_yuv420(&f, rotation, &img, &err);
    check_error(st, &err);
    int accepted = st == MCL_OK;
    if (accepted) {
        const int turned = rotation == 90 || rotation == 270;
        if (img.width != (turned ? f.height : f.width) || img.channels != 3) abort();
        mcl_image_free(&img);
    } else if (img.pixels) {
        abort();
    }
    uint8_t dst[24 * 24 * 3];
    st = mcl_yuv420_resize(&f, rotation, dst_w, dst_h, dst, &err);
    check_error(st, &err);
    if ((st == MCL_OK) != accepted) abort(); /* the two must agree on what is a frame */
    free(y);
    free(u);
    free(v);
    return accepted ? 0 : 1;
}

mcl_fuzz_entry mcl_fuzz_find(const char *target)
{
    if (!target) return NULL;
    if (!strcmp(target, "tflite")) return mcl_fuzz_tflite;
    if (!strcmp(target, "image")) return mcl_fuzz_image;
    if (!strcmp(target, "labels")) return mcl_fuzz_labels;
    if (!strcmp(target, "flexbuffer")) return mcl_fuzz_flexbuffer;
    if (!strcmp(target, "yuv")) return mcl_fuzz_yuv;
    return NULL;
}
