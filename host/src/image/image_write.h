/* PNG output for the CLI (segmentation masks, overlays). */
#ifndef MCL_IMAGE_WRITE_H
#define MCL_IMAGE_WRITE_H

#include "mobilecl.h"

/* Write w x h pixels of `channels` interleaved 8-bit values (1 = grey, 2 = grey+alpha,
 * 3 = RGB, 4 = RGBA), rows top to bottom, to a PNG file.  The data goes to a temporary file
 * in the same folder that is renamed over `path` only once complete, so a failure never
 * leaves a half-written file behind. */
mcl_status mcl_image_write_png(const char *path, int w, int h, int channels,
                               const uint8_t *pixels, mcl_error *err);

#endif
