/* PNG encoding through stb_image_write, into a temporary file renamed into place. */
#include "image/image_write.h"
#include "error.h"
#include "image/stb_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#include "image/stb_warnings_off.h"
#include <stb_image_write.h>
#include "image/stb_warnings_on.h"
#if defined(__GNUC__)
/* stb declares static functions for the writers compiled out (TGA, JPEG, HDR) and never defines or uses them; GCC
 * reports that at the end of the file, after the pop. */
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

typedef struct png_sink {
    FILE *f;
    int failed;
    int error; /* errno of the first failed write */
} png_sink;

static void sink_write(void *context, void *data, int size)
{
    png_sink *s = context;
    if (s->failed || size <= 0) return;
    if (fwrite(data, 1, (size_t)size, s->f) != (size_t)size) {
        s->failed = 1;
        s->error = errno;
    }
}

mcl_status mcl_image_write_png(const char *path, int w, int h, int channels,
                               const uint8_t *pixels, mcl_error *err)
{
    if (!path || !pixels)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_image_write_png: NULL argument");
    if (w <= 0 || h <= 0 || w > MCL_IMAGE_MAX_SIDE || h > MCL_IMAGE_MAX_SIDE)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "%s: cannot write a %dx%d image", path, w, h);
    if (channels < 1 || channels > 4)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "%s: %d channels (PNG takes 1 to 4)", path,
                        channels);

    /* The temporary file sits in the destination folder (rename() is atomic only within one
     * file system) and is created with open(O_EXCL, 0666) rather than mkstemp(), so the
     * finished PNG gets the permissions the umask gives, not mkstemp's 0600. */
    size_t tmp_size = strlen(path) + 48;
    char *tmp = malloc(tmp_size);
    if (!tmp) return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory", path);
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, tmp_size, "%s.tmp%ld-%d", path, (long)getpid(), attempt);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return mcl_fail(err, MCL_ERR_IO, "%s: cannot create a temporary file: %s", path,
                        strerror(e));
    }
    png_sink sink = { fdopen(fd, "wb"), 0, 0 };
    if (!sink.f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return mcl_fail(err, MCL_ERR_IO, "%s: cannot open the temporary file: %s", path,
                        strerror(e));
    }

    /* w * channels <= 65536 fits an int (stb's stride type). */
    int ok = stbi_write_png_to_func(sink_write, &sink, w, h, channels, pixels, w * channels);
    int close_failed = fclose(sink.f) != 0;
    int close_errno = errno;
    mcl_status st = MCL_OK;
    if (!ok)
        st = mcl_fail(err, MCL_ERR_NOMEM, "%s: PNG encoding failed (out of memory)", path);
    else if (sink.failed)
        st = mcl_fail(err, MCL_ERR_IO, "%s: write failed: %s", path, strerror(sink.error));
    else if (close_failed)
        st = mcl_fail(err, MCL_ERR_IO, "%s: write failed: %s", path, strerror(close_errno));
    else if (rename(tmp, path) != 0)
        st = mcl_fail(err, MCL_ERR_IO, "%s: cannot rename the temporary file into place: %s",
                      path, strerror(errno));
    if (st != MCL_OK) unlink(tmp);
    free(tmp);
    return st == MCL_OK ? mcl_ok(err) : st;
}
