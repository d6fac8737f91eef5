/* What image_load.c and image_write.c share around the stb headers: the size bounds (which
 * image_yuv.c applies too) and the warning switches.
 *
 * stb is third-party code compiled into our translation units, and our -Wall -Wextra -Werror
 * build would fail on warnings we cannot fix there.  Include "stb_warnings_off.h" right before
 * an stb header and "stb_warnings_on.h" right after it. */
#ifndef MCL_STB_CONFIG_H
#define MCL_STB_CONFIG_H

/* Largest width or height decoded or written: a 16384 x 16384 RGB image is 768 MiB, already
 * more than a camera app should ever be handed by accident. */
#define MCL_IMAGE_MAX_SIDE 16384
/* ... and most pixels in all (128 Mpixel, 384 MiB of RGB). */
#define MCL_IMAGE_MAX_PIXELS ((long long)1 << 27)

#endif
