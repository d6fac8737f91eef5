/* Image decoding: BMP, JPEG and PNG through stb_image, with every size checked before any
 * pixel memory is allocated.
 *
 * The file is read by us (not through stb's stdio layer) so that its size is bounded and a
 * read error can be reported with errno.  stb_image is compiled here with static linkage, so
 * an application that embeds its own copy of stb_image does not clash with ours. */
#include "mobilecl.h"
#include "error.h"
#include "image/stb_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Larger files are refused before reading: a 16384x16384 RGB image is 768 MiB raw, but no
 * BMP/JPEG/PNG the engine is meant for comes near 256 MiB on disk. */
#define MCL_IMAGE_MAX_FILE_BYTES ((size_t)256 << 20)

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
/* stb also enforces a limit of its own while decoding; keep it in line with ours. */
#define STBI_MAX_DIMENSIONS MCL_IMAGE_MAX_SIDE
/* Library code never aborts: stb asserts on corrupt JPEG Huffman data (found by fuzzing) and
 * then carries on with values it keeps in range; the image is refused or decoded as garbage. */
#define STBI_ASSERT(x) ((void)0)
#include "image/stb_warnings_off.h"
#include <stb_image.h>
#include "image/stb_warnings_on.h"
#if defined(__GNUC__)
/* stb declares static functions for the formats compiled out (GIF) and never defines or uses them; GCC
 * reports that at the end of the file, after the pop. */
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

/* Reads the whole file into a malloc'ed buffer of *size bytes (at least 1). */
static mcl_status read_file(const char *path, uint8_t **data, size_t *size, mcl_error *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return mcl_fail(err, MCL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));

    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        return mcl_fail(err, MCL_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size <= 0) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: empty file, not a BMP/JPEG/PNG image", path);
    }
    if ((unsigned long long)st.st_size > MCL_IMAGE_MAX_FILE_BYTES) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: %lld bytes is larger than the %zu MiB limit "
                        "for image files", path, (long long)st.st_size,
                        MCL_IMAGE_MAX_FILE_BYTES >> 20);
    }

    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n);
    if (!buf) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_NOMEM, "%s: cannot allocate %zu bytes to read it", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    if (got != n) {
        int e = ferror(f) ? errno : 0;
        free(buf);
        fclose(f);
        if (e) return mcl_fail(err, MCL_ERR_IO, "%s: read failed: %s", path, strerror(e));
        return mcl_fail(err, MCL_ERR_IO, "%s: file shrank while reading (%zu of %zu bytes)",
                        path, got, n);
    }
    fclose(f);
    *data = buf;
    *size = n;
    return MCL_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* stb_image reads past the end of a BMP as zeros and reports success, so a 54-byte header
 * claiming 16384x8192 pixels would decode into 400 MB of black.  Check that an uncompressed
 * BMP holds all of its rows before decoding.  Only BI_RGB and BI_BITFIELDS are checked: stb
 * refuses the RLE encodings itself, and OS/2 headers (12 bytes) carry no compression field. */
static mcl_status bmp_check_size(const uint8_t *data, size_t size, int w, int h,
                                 const char *path, mcl_error *err)
{
    if (size < 30 || data[0] != 'B' || data[1] != 'M') return MCL_OK;
    uint32_t offset = le32(data + 10), header = le32(data + 14);
    unsigned bpp;
    if (header == 12) {
        bpp = data[24] | (unsigned)data[25] << 8;
    } else {
        if (size < 34) return MCL_OK;
        bpp = data[28] | (unsigned)data[29] << 8;
        uint32_t compression = le32(data + 30);
        if (compression != 0 && compression != 3) return MCL_OK;
    }
    if (bpp == 0 || bpp > 32) return MCL_OK; /* stb rejects these with its own message */
    /* Rows are padded to 4 bytes, except that some writers leave off the last row's
     * padding; w, h <= 16384 keep this well within 64 bits. */
    uint64_t stride = ((uint64_t)w * bpp + 31) / 32 * 4;
    uint64_t need = (uint64_t)offset + stride * (uint64_t)(h - 1) + ((uint64_t)w * bpp + 7) / 8;
    if (need > size)
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: truncated BMP: %dx%d pixels at %u bits need "
                        "%llu bytes, the file has %zu", path, w, h, bpp,
                        (unsigned long long)need, size);
    return MCL_OK;
}

/* Two bugs of stb_image 2.27 (Debian 12's libstb-dev), both found by tests/fuzz/fuzz_image.c,
 * are kept away by checking a JPEG's Huffman tables before stb reads it:
 *  - a DHT segment declaring more than 256 codes in one table overflows a 257-entry array
 *    (an out-of-bounds write; stb 2.28 added the check);
 *  - a scan that uses a table no DHT defined decodes with stb's uninitialized table memory,
 *    which reads outside the symbol array (an out-of-bounds read). */
static unsigned byte_at(const uint8_t *data, size_t size, size_t i)
{
    return i < size ? data[i] : 0; /* stb reads zeros past the end */
}

typedef struct {
    unsigned defined; /* bit tc * 4 + th: DC (tc 0) and AC (tc 1) tables 0..3 */
    int progressive;
    const char *problem; /* NULL while the file looks safe to hand to stb */
} jpeg_tables;

/* The tables of a DHT segment whose length field is at data[at], read the way stb does. */
static void jpeg_dht(const uint8_t *data, size_t size, size_t at, jpeg_tables *t)
{
    long left = (long)(byte_at(data, size, at) << 8 | byte_at(data, size, at + 1)) - 2;
    size_t q = at + 2;
    while (left > 0 && q < size && !t->problem) {
        unsigned tc = byte_at(data, size, q) >> 4, th = byte_at(data, size, q) & 15;
        unsigned n = 0;
        for (size_t i = 1; i <= 16; i++) n += byte_at(data, size, q + i);
        if (n > 256) t->problem = "a Huffman table declares more than 256 codes";
        if (tc <= 1 && th <= 3) t->defined |= 1u << (tc * 4 + th);
        left -= 17 + (long)n;
        q += 17 + n;
    }
}

/* A start-of-scan whose length field is at data[at]: every table its components decode with
 * must have been defined.  stb refuses table ids above 3 itself. */
static void jpeg_sos(const uint8_t *data, size_t size, size_t at, jpeg_tables *t)
{
    unsigned ns = byte_at(data, size, at + 2);
    unsigned ss = byte_at(data, size, at + 3 + 2 * ns);
    unsigned ah = byte_at(data, size, at + 5 + 2 * ns) >> 4;
    /* Progressive: a DC scan decodes DC codes only on its first pass, an AC scan AC codes
     * only; a baseline scan decodes both. */
    int need_dc = !t->progressive || (ss == 0 && ah == 0);
    int need_ac = !t->progressive || ss > 0;
    for (unsigned k = 0; k < ns && k < 4; k++) {
        unsigned td = byte_at(data, size, at + 4 + 2 * k) >> 4;
        unsigned ta = byte_at(data, size, at + 4 + 2 * k) & 15;
        if ((need_dc && td <= 3 && !(t->defined & 1u << td)) ||
            (need_ac && ta <= 3 && !(t->defined & 1u << (4 + ta))))
            t->problem = "a scan uses a Huffman table that was never defined";
    }
}

/* Where a JPEG's data starts after its start-of-image marker, 0 when it is not a JPEG.  stb
 * skips any number of 0xFF fill bytes before the SOI code, so this does too. */
static size_t jpeg_after_soi(const uint8_t *data, size_t size)
{
    if (size < 2 || data[0] != 0xFF) return 0;
    size_t p = 1;
    while (p < size && data[p] == 0xFF) p++;
    return p < size && data[p] == 0xD8 ? p + 1 : 0;
}

/* Up to the first scan the segments are walked by their lengths, as stb's header parser does
 * (stray non-0xFF bytes between segments skipped); after it, where stb's entropy decoder may
 * stop anywhere, every 0xFF 0xC4 (DHT) and 0xFF 0xDA (SOS) pair is taken as a segment:
 * entropy-coded data cannot hold one (an 0xFF there is always followed by 0x00 or a restart
 * marker), so only a segment can. */
static mcl_status jpeg_check_tables(const uint8_t *data, size_t size, const char *path,
                                    mcl_error *err)
{
    size_t p = jpeg_after_soi(data, size);
    if (!p) return MCL_OK;
    jpeg_tables t = {0, 0, NULL};
    while (p < size && !t.problem) {
        if (data[p] != 0xFF) {
            p++;
            continue;
        }
        while (p < size && data[p] == 0xFF) p++; /* fill bytes */
        if (p >= size) break;
        unsigned marker = data[p++];
        if (marker == 0xD9) break;
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
        if (marker == 0xC2) t.progressive = 1;
        if (marker == 0xC4) jpeg_dht(data, size, p, &t);
        if (marker == 0xDA) {
            jpeg_sos(data, size, p, &t);
            for (size_t q = p + 2; q + 1 < size && !t.problem; q++) {
                if (data[q] != 0xFF) continue;
                if (data[q + 1] == 0xC4) jpeg_dht(data, size, q + 2, &t);
                if (data[q + 1] == 0xDA) jpeg_sos(data, size, q + 2, &t);
                if (data[q + 1] == 0xC2) t.progressive = 1;
            }
            break;
        }
        p += byte_at(data, size, p) << 8 | byte_at(data, size, p + 1);
    }
    if (t.problem)
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: corrupt JPEG: %s", path, t.problem);
    return MCL_OK;
}

/* stb grows its PNG data buffer to the length a chunk header claims before reading the chunk:
 * 60 bytes claiming a 1 GiB IDAT cost a 2 GiB allocation (found by fuzzing).  A chunk cannot
 * be longer than what is left of the file, so check every chunk header first. */
static mcl_status png_check_chunks(const uint8_t *data, size_t size, const char *path,
                                   mcl_error *err)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (size < 8 || memcmp(data, sig, 8) != 0) return MCL_OK;
    size_t p = 8;
    while (p + 8 <= size) {
        size_t len = (size_t)data[p] << 24 | (size_t)data[p + 1] << 16 |
                     (size_t)data[p + 2] << 8 | data[p + 3];
        if (len > size - p - 8)
            return mcl_fail(err, MCL_ERR_IMAGE, "%s: truncated PNG: a chunk at byte %zu claims "
                            "%zu bytes, %zu are left", path, p, len, size - p - 8);
        if (memcmp(data + p + 4, "IEND", 4) == 0) break;
        p += 12 + len; /* length, type, data, CRC */
    }
    return MCL_OK;
}

/* Decodes size bytes at data (owned by the caller); path only names the source in messages. */
static mcl_status decode(const uint8_t *data, size_t size, const char *path, mcl_image *image,
                         mcl_error *err)
{
    /* stb takes an int length: both callers bound size to 256 MiB first.  The header alone
     * gives the dimensions: check them before stb allocates w*h*3 bytes, so a 40-byte BMP
     * claiming 100000x100000 pixels costs nothing. */
    /* Before stbi_info: reading the header already builds the Huffman tables. */
    mcl_status st = jpeg_check_tables(data, size, path, err);
    if (st == MCL_OK) st = png_check_chunks(data, size, path, err);
    if (st != MCL_OK) return st;
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, (int)size, &w, &h, &comp))
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: not a BMP/JPEG/PNG image (%s)", path,
                        stbi_failure_reason());
    /* stb reports a top-down BMP (stored with a negative height) with that negative height. */
    if (h < 0 && h != INT_MIN && size >= 2 && data[0] == 'B' && data[1] == 'M') h = -h;
    if (w <= 0 || h <= 0)
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: invalid size %dx%d pixels", path, w, h);
    if (w > MCL_IMAGE_MAX_SIDE || h > MCL_IMAGE_MAX_SIDE)
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: %dx%d pixels is larger than %dx%d", path, w, h,
                        MCL_IMAGE_MAX_SIDE, MCL_IMAGE_MAX_SIDE);
    if ((long long)w * (long long)h > MCL_IMAGE_MAX_PIXELS)
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: %dx%d pixels is more than the limit of %lld "
                        "pixels", path, w, h, MCL_IMAGE_MAX_PIXELS);
    st = bmp_check_size(data, size, w, h, path, err);
    if (st != MCL_OK) return st;
    /* stb decodes a truncated JPEG as if the missing data were zeros: 600 bytes claiming
     * 16384x8192 pixels cost 600 MB and 12 s.  Every 8x8 luma block of a Huffman-coded JPEG
     * (the only kind stb reads) takes at least one bit (its DC code) in the first scan, so
     * fewer bytes than blocks / 8 cannot be a whole image. */
    if (jpeg_after_soi(data, size)) {
        unsigned long long blocks =
            ((unsigned long long)w + 7) / 8 * (((unsigned long long)h + 7) / 8);
        if (size < blocks / 8)
            return mcl_fail(err, MCL_ERR_IMAGE, "%s: truncated JPEG: %dx%d pixels need at least "
                            "%llu bytes, the file has %zu", path, w, h, blocks / 8, size);
    }

    int dw = 0, dh = 0, dcomp = 0;
    uint8_t *pixels = stbi_load_from_memory(data, (int)size, &dw, &dh, &dcomp, 3);
    if (!pixels) {
        const char *why = stbi_failure_reason();
        if (why && strcmp(why, "outofmem") == 0)
            return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory decoding %dx%d pixels",
                            path, w, h);
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: corrupt or truncated image (%s)", path,
                        why ? why : "unknown error");
    }
    if (dw != w || dh != h) {
        /* Header and decoder disagree: never hand out a buffer whose size we did not check. */
        free(pixels);
        return mcl_fail(err, MCL_ERR_IMAGE, "%s: header says %dx%d but decoded %dx%d", path, w,
                        h, dw, dh);
    }

    image->width = w;
    image->height = h;
    image->channels = 3;
    image->pixels = pixels;
    return mcl_ok(err);
}

mcl_status mcl_image_load(const char *path, mcl_image *image, mcl_error *err)
{
    if (image) memset(image, 0, sizeof *image);
    if (!path || !image) return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_image_load: NULL argument");

    uint8_t *data = NULL;
    size_t size = 0;
    mcl_status st = read_file(path, &data, &size, err);
    if (st != MCL_OK) return st;
    st = decode(data, size, path, image, err);
    free(data);
    return st;
}

mcl_status mcl_image_load_memory(const void *data, size_t size, mcl_image *image, mcl_error *err)
{
    if (image) memset(image, 0, sizeof *image);
    if (!data || !image)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "mcl_image_load_memory: NULL argument");
    if (size == 0)
        return mcl_fail(err, MCL_ERR_IMAGE, "image: empty buffer, not a BMP/JPEG/PNG image");
    if (size > MCL_IMAGE_MAX_FILE_BYTES)
        return mcl_fail(err, MCL_ERR_IMAGE, "image: %zu bytes is larger than the %zu MiB limit "
                        "for image files", size, MCL_IMAGE_MAX_FILE_BYTES >> 20);
    return decode(data, size, "image", image, err);
}

void mcl_image_free(mcl_image *image)
{
    if (!image) return;
    /* stb_image allocates with malloc (STBI_MALLOC is not overridden here). */
    free(image->pixels);
    memset(image, 0, sizeof *image);
}
