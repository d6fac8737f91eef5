/* One entry point per fuzz target, shared by the libFuzzer drivers (tests/fuzz/fuzz_*.c) and
 * by the regression test that replays the saved crashers in the normal build
 * (tests/unit/test_fuzz_regressions.c): the same bytes go through the same code either way.
 *
 * Each entry takes arbitrary bytes, must never crash, leak or hang, and returns 0 when the
 * input was accepted and 1 when it was refused with a proper error (status + one line). */
#ifndef MCL_FUZZ_ENTRIES_H
#define MCL_FUZZ_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

/* TFLite reader + graph passes + memory plan + layer table (mcl_model_load_memory). */
int mcl_fuzz_tflite(const uint8_t *data, size_t size);
/* Image decode (BMP/JPEG/PNG through mcl_image_load_memory) + bilinear resize. */
int mcl_fuzz_image(const uint8_t *data, size_t size);
/* Labels-file reader. */
int mcl_fuzz_labels(const uint8_t *data, size_t size);
/* FlexBuffer reader (every value reachable from the root) + the options parser of
 * TFLite_Detection_PostProcess that uses it. */
int mcl_fuzz_flexbuffer(const uint8_t *data, size_t size);

/* Camera frames: the first 16 bytes describe an mcl_yuv420 (sides, strides, how much of the
 * rest each plane gets, range, rotation, all of it possibly invalid), the rest are the
 * planes, each copied into an allocation of exactly its declared size; then
 * mcl_image_from_yuv420 and the direct-to-input resize (image/image_yuv.h). */
int mcl_fuzz_yuv(const uint8_t *data, size_t size);

/* The targets by name ("tflite", "image", "labels", "flexbuffer", "yuv"), NULL when
 * unknown. */
typedef int (*mcl_fuzz_entry)(const uint8_t *data, size_t size);
mcl_fuzz_entry mcl_fuzz_find(const char *target);

#endif
