/* mcl_image_load / mcl_image_free / mcl_image_write_png.
 *
 * Expected pixels come from files this test writes byte by byte (BMP and PNG, with its own
 * CRC-32 and Adler-32), from a small independent BMP reader below for the shared photos, and
 * from Pillow 13 (libjpeg-turbo) for the JPEG, with a tolerance for IDCT differences. */
#include "test_util.h"
#include "image/image_write.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ temp folder helpers */

typedef struct tmpdir {
    char path[256];
} tmpdir;

static void tmpdir_make(tmpdir *t)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    snprintf(t->path, sizeof t->path, "%s/mcl_test_image_XXXXXX", base);
    assert_non_null(mkdtemp(t->path));
}

static void tmpdir_file(const tmpdir *t, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", t->path, name);
}

static int tmpdir_count(const tmpdir *t)
{
    DIR *d = opendir(t->path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void tmpdir_remove(tmpdir *t)
{
    DIR *d = opendir(t->path);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", t->path, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(t->path);
}

static void write_bytes(const char *path, const uint8_t *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------------------ byte writers */

static void put_le16(uint8_t *p, unsigned v) { p[0] = v & 255; p[1] = (v >> 8) & 255; }
static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 255;
}
static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (v >> (24 - 8 * i)) & 255;
}
static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 14-byte file header + 40-byte BITMAPINFOHEADER.  height < 0 means rows stored top-down. */
static void bmp_header(uint8_t *h, int32_t width, int32_t height, int bpp, uint32_t offset,
                       uint32_t file_size, uint32_t colors)
{
    memset(h, 0, 54);
    h[0] = 'B';
    h[1] = 'M';
    put_le32(h + 2, file_size);
    put_le32(h + 10, offset);
    put_le32(h + 14, 40);
    put_le32(h + 18, (uint32_t)width);
    put_le32(h + 22, (uint32_t)height);
    put_le16(h + 26, 1);
    put_le16(h + 28, (unsigned)bpp);
    put_le32(h + 30, 0); /* BI_RGB */
    put_le32(h + 34, file_size - offset);
    put_le32(h + 46, colors);
}

static uint32_t crc32_bytes(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t adler32_bytes(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

/* Appends a PNG chunk (length, type, data, CRC over type + data) at out + *len. */
static void png_chunk(uint8_t *out, size_t *len, const char *type, const uint8_t *data,
                      uint32_t n)
{
    uint8_t *p = out + *len;
    put_be32(p, n);
    memcpy(p + 4, type, 4);
    if (n) memcpy(p + 8, data, n);
    put_be32(p + 8 + n, crc32_bytes(p + 4, 4 + (size_t)n, 0));
    *len += 12 + (size_t)n;
}

/* A PNG with one IDAT holding a zlib stream of a single stored (uncompressed) deflate block:
 * raw = the filtered scanlines, each starting with its filter byte.  Returns the size. */
static size_t make_png(uint8_t *out, int w, int h, int color_type, const uint8_t *raw,
                       size_t raw_len)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    size_t len = 8;
    memcpy(out, sig, 8);
    uint8_t ihdr[13] = { 0 };
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;                   /* bit depth */
    ihdr[9] = (uint8_t)color_type; /* 0 grey, 2 RGB */
    png_chunk(out, &len, "IHDR", ihdr, 13);

    uint8_t z[512];
    assert_true(raw_len + 11 <= sizeof z);
    size_t zn = 0;
    z[zn++] = 0x78; /* CM 8, CINFO 7 */
    z[zn++] = 0x01; /* (0x78 * 256 + 0x01) % 31 == 0 */
    z[zn++] = 0x01; /* BFINAL = 1, BTYPE = 00 stored */
    put_le16(z + zn, (unsigned)raw_len);
    put_le16(z + zn + 2, (unsigned)(~raw_len & 0xFFFF));
    zn += 4;
    memcpy(z + zn, raw, raw_len);
    zn += raw_len;
    put_be32(z + zn, adler32_bytes(raw, raw_len));
    zn += 4;
    png_chunk(out, &len, "IDAT", z, (uint32_t)zn);
    png_chunk(out, &len, "IEND", NULL, 0);
    return len;
}

/* ------------------------------------------------------------------ independent BMP reader */

/* Uncompressed 24-bit or 8-bit palettized BMP into RGB, for the shared photos.  Knows only
 * what those files use: BI_RGB, bottom-up or top-down rows padded to 4 bytes. */
static uint8_t *ref_bmp_decode(const char *path, int *w, int *h)
{
    size_t n = 0;
    uint8_t *f = mcl_test_read_file(path, &n);
    assert_true(n > 54 && f[0] == 'B' && f[1] == 'M');
    uint32_t offset = get_le32(f + 10), hsize = get_le32(f + 14);
    int32_t width = (int32_t)get_le32(f + 18), height = (int32_t)get_le32(f + 22);
    int bpp = f[28] | f[29] << 8;
    assert_int_equal(get_le32(f + 30), 0);
    assert_true(bpp == 24 || bpp == 8);
    int top_down = height < 0;
    if (top_down) height = -height;
    size_t stride = ((size_t)width * (size_t)bpp / 8 + 3) & ~(size_t)3;
    assert_true(offset + stride * (size_t)height <= n);
    const uint8_t *pal = f + 14 + hsize;
    uint8_t *rgb = malloc((size_t)width * (size_t)height * 3);
    assert_non_null(rgb);
    for (int y = 0; y < height; y++) {
        const uint8_t *row = f + offset + stride * (size_t)(top_down ? y : height - 1 - y);
        for (int x = 0; x < width; x++) {
            const uint8_t *bgr = bpp == 24 ? row + 3 * x : pal + 4 * row[x];
            uint8_t *o = rgb + ((size_t)y * (size_t)width + (size_t)x) * 3;
            o[0] = bgr[2];
            o[1] = bgr[1];
            o[2] = bgr[0];
        }
    }
    free(f);
    *w = width;
    *h = height;
    return rgb;
}

static void check_matches_ref_bmp(const char *rel, int want_w, int want_h)
{
    char path[512];
    if (!mcl_test_data_path(path, sizeof path, rel)) skip();
    int rw = 0, rh = 0;
    uint8_t *ref = ref_bmp_decode(path, &rw, &rh);
    assert_int_equal(rw, want_w);
    assert_int_equal(rh, want_h);

    mcl_image img;
    mcl_error err;
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(err.code, MCL_OK);
    assert_int_equal(img.width, want_w);
    assert_int_equal(img.height, want_h);
    assert_int_equal(img.channels, 3);
    assert_non_null(img.pixels);
    size_t bad = 0, n = (size_t)want_w * (size_t)want_h * 3;
    for (size_t i = 0; i < n; i++) bad += img.pixels[i] != ref[i];
    assert_int_equal(bad, 0);
    mcl_image_free(&img);
    assert_null(img.pixels);
    assert_int_equal(img.width, 0);
    free(ref);
}

/* ------------------------------------------------------------------ real files */

static void test_cat_bmp(void **state)
{
    (void)state;
    check_matches_ref_bmp("images/cat.bmp", 512, 341);
}

static void test_grace_hopper_bmp(void **state)
{
    (void)state;
    check_matches_ref_bmp("images/grace_hopper.bmp", 512, 600);
}

static void test_palette_mask_bmp(void **state)
{
    (void)state;
    /* 8-bit grey palette: comes back as RGB with R = G = B. */
    check_matches_ref_bmp("images/dog_segmentation_mask.bmp", 128, 128);
}

static void test_parrot_jpg(void **state)
{
    (void)state;
    char path[512];
    if (!mcl_test_data_path(path, sizeof path, "images/parrot.jpg")) skip();
    mcl_image img;
    mcl_error err;
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.width, 512);
    assert_int_equal(img.height, 929);
    assert_int_equal(img.channels, 3);

    /* Pillow 13: per-channel means and a few pixels.  stb_image's IDCT and chroma upsampling
     * differ from libjpeg-turbo's by a few levels per pixel, far less on average. */
    const double want_mean[3] = { 147.6294739, 130.87885579, 117.2237516 };
    double sum[3] = { 0, 0, 0 };
    size_t npix = (size_t)img.width * (size_t)img.height;
    for (size_t i = 0; i < npix; i++)
        for (int c = 0; c < 3; c++) sum[c] += img.pixels[3 * i + c];
    for (int c = 0; c < 3; c++) {
        double m = sum[c] / (double)npix;
        if (fabs(m - want_mean[c]) > 0.5)
            fail_msg("channel %d mean %.4f, Pillow %.4f", c, m, want_mean[c]);
    }
    static const struct { int x, y; uint8_t rgb[3]; } px[] = {
        { 0, 0, { 179, 156, 125 } },   { 256, 464, { 77, 112, 54 } },
        { 100, 800, { 90, 114, 116 } }, { 511, 928, { 74, 72, 86 } },
        { 400, 100, { 70, 61, 54 } },
    };
    for (size_t i = 0; i < sizeof px / sizeof px[0]; i++) {
        const uint8_t *p = img.pixels + ((size_t)px[i].y * 512 + (size_t)px[i].x) * 3;
        for (int c = 0; c < 3; c++)
            if (abs((int)p[c] - (int)px[i].rgb[c]) > 6)
                fail_msg("pixel (%d,%d) channel %d = %d, Pillow %d", px[i].x, px[i].y, c, p[c],
                         px[i].rgb[c]);
    }
    mcl_image_free(&img);
}

/* ------------------------------------------------------------------ files written here */

static void test_bmp_24bit_bottom_up_odd_width(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    /* 3x2 pixels: rows of 9 bytes padded to 12; stored bottom row first, as BGR. */
    const uint8_t rgb[2][3][3] = {
        { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } },
        { { 10, 20, 30 }, { 200, 150, 100 }, { 1, 2, 3 } },
    };
    uint8_t file[54 + 24];
    bmp_header(file, 3, 2, 24, 54, sizeof file, 0);
    memset(file + 54, 0xEE, 24); /* padding bytes must be ignored */
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++) {
            uint8_t *p = file + 54 + (1 - y) * 12 + 3 * x;
            p[0] = rgb[y][x][2];
            p[1] = rgb[y][x][1];
            p[2] = rgb[y][x][0];
        }
    char path[512];
    tmpdir_file(&t, "small.bmp", path, sizeof path);
    write_bytes(path, file, sizeof file);

    mcl_image img;
    mcl_error err;
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.width, 3);
    assert_int_equal(img.height, 2);
    assert_int_equal(img.channels, 3);
    assert_memory_equal(img.pixels, &rgb[0][0][0], 18);
    mcl_image_free(&img);
    tmpdir_remove(&t);
}

static void test_bmp_top_down_and_palette(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char path[512];

    /* Top-down (negative height) 2x2, 24-bit: rows of 6 bytes padded to 8. */
    uint8_t td[54 + 16];
    bmp_header(td, 2, -2, 24, 54, sizeof td, 0);
    const uint8_t td_rows[16] = { 3, 2, 1, 6, 5, 4, 0, 0,   /* top: (1,2,3) (4,5,6) */
                                  9, 8, 7, 12, 11, 10, 0, 0 };
    memcpy(td + 54, td_rows, 16);
    tmpdir_file(&t, "topdown.bmp", path, sizeof path);
    write_bytes(path, td, sizeof td);
    mcl_image img;
    mcl_error err;
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.width, 2);
    assert_int_equal(img.height, 2);
    const uint8_t td_want[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    assert_memory_equal(img.pixels, td_want, 12);
    mcl_image_free(&img);

    /* 8-bit palettized 5x1 with 3 palette entries (BGRx); the row of 5 is padded to 8. */
    uint8_t pb[54 + 12 + 8];
    bmp_header(pb, 5, 1, 8, 54 + 12, sizeof pb, 3);
    const uint8_t pal[12] = { 30, 20, 10, 0, 0, 0, 255, 0, 200, 100, 50, 0 };
    memcpy(pb + 54, pal, 12);
    const uint8_t idx[8] = { 0, 1, 2, 1, 0, 0, 0, 0 };
    memcpy(pb + 66, idx, 8);
    tmpdir_file(&t, "palette.bmp", path, sizeof path);
    write_bytes(path, pb, sizeof pb);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.width, 5);
    assert_int_equal(img.height, 1);
    const uint8_t pb_want[15] = { 10, 20, 30, 255, 0, 0, 50, 100, 200, 255, 0, 0, 10, 20, 30 };
    assert_memory_equal(img.pixels, pb_want, 15);
    mcl_image_free(&img);
    tmpdir_remove(&t);
}

static void test_png_handmade_rgb_and_grey(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char path[512];
    uint8_t png[512];
    mcl_image img;
    mcl_error err;

    /* RGB 3x2.  Row 0 filter None; row 1 filter Sub (each byte adds the byte 3 to its left,
     * mod 256): stored 10,20,30, 5,5,5, 250,0,1 decodes to 10,20,30, 15,25,35, 9,25,36. */
    const uint8_t raw[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                            1, 10, 20, 30, 5, 5, 5, 250, 0, 1 };
    size_t n = make_png(png, 3, 2, 2, raw, sizeof raw);
    tmpdir_file(&t, "rgb.png", path, sizeof path);
    write_bytes(path, png, n);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.width, 3);
    assert_int_equal(img.height, 2);
    const uint8_t want[18] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 15, 25, 35, 9, 25, 36 };
    assert_memory_equal(img.pixels, want, 18);
    mcl_image_free(&img);

    /* Grey 2x2 comes back with R = G = B. */
    const uint8_t graw[] = { 0, 0, 128, 0, 255, 7 };
    n = make_png(png, 2, 2, 0, graw, sizeof graw);
    tmpdir_file(&t, "grey.png", path, sizeof path);
    write_bytes(path, png, n);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    const uint8_t gwant[12] = { 0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7 };
    assert_memory_equal(img.pixels, gwant, 12);
    mcl_image_free(&img);

    /* The same RGB file cut in the middle of IDAT: an error, not garbage. */
    n = make_png(png, 3, 2, 2, raw, sizeof raw);
    tmpdir_file(&t, "truncated.png", path, sizeof path);
    write_bytes(path, png, 33 + 20); /* signature + IHDR, then 20 bytes of IDAT */
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
    assert_int_equal(err.code, MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, path));
    assert_null(img.pixels);

    /* An IHDR with bit depth 7, which PNG does not define. */
    n = make_png(png, 3, 2, 2, raw, sizeof raw);
    png[8 + 8 + 8] = 7;
    tmpdir_file(&t, "depth7.png", path, sizeof path);
    write_bytes(path, png, n);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, "depth7.png"));
    tmpdir_remove(&t);
}

/* The header is read and refused before stb allocates anything: these files hold no pixel
 * data at all, so a decoder that tried would fail with a different message. */
static void test_huge_headers_refused(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char path[512];
    mcl_image img;
    mcl_error err;
    static const struct { int32_t w, h; const char *size, *why; } cases[] = {
        { 100000, 100000, "100000x100000", "is larger than 16384x16384" },
        { 16385, 1, "16385x1", "is larger than 16384x16384" },
        { 1, 16385, "1x16385", "is larger than 16384x16384" },
        /* each side fits, but 144,000,000 pixels > 2^27 = 134,217,728 */
        { 12000, 12000, "12000x12000", "more than the limit of 134217728 pixels" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t h[54];
        bmp_header(h, cases[i].w, cases[i].h, 24, 54, 54, 0);
        tmpdir_file(&t, "huge.bmp", path, sizeof path);
        write_bytes(path, h, sizeof h);
        memset(&err, 0, sizeof err);
        assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
        assert_int_equal(err.code, MCL_ERR_IMAGE);
        if (!strstr(err.message, cases[i].size) || !strstr(err.message, cases[i].why))
            fail_msg("case %s: message \"%s\"", cases[i].size, err.message);
        assert_null(img.pixels);
        assert_int_equal(img.width, 0);
    }

    /* 16384 x 8192 = 2^27 pixels exactly passes the size check; with no pixel data it is
     * refused as truncated (stb alone would return 400 MB of zeros), again before decoding. */
    uint8_t h[54];
    bmp_header(h, 16384, 8192, 24, 54, 54, 0);
    write_bytes(path, h, sizeof h);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
    assert_null(strstr(err.message, "larger than"));
    assert_non_null(strstr(err.message, "truncated BMP"));

    /* A 3x2 24-bit BMP: rows of 9 bytes padded to 12.  Without the last row's padding
     * (54 + 12 + 9 = 75 bytes) it is accepted, as some writers produce it; one byte less
     * cuts into pixel data and is refused. */
    uint8_t s[75];
    bmp_header(s, 3, 2, 24, 54, 78, 0);
    memset(s + 54, 0x55, sizeof s - 54);
    write_bytes(path, s, sizeof s);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.pixels[17], 0x55);
    mcl_image_free(&img);
    write_bytes(path, s, sizeof s - 1);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, "truncated BMP"));
    assert_null(img.pixels);
    tmpdir_remove(&t);
}

static void test_bad_files(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char path[512];
    mcl_image img;
    mcl_error err;

    tmpdir_file(&t, "empty.png", path, sizeof path);
    write_bytes(path, NULL, 0);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, "empty"));

    tmpdir_file(&t, "notes.txt", path, sizeof path);
    const char *text = "this is not an image\n";
    write_bytes(path, (const uint8_t *)text, strlen(text));
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, "not a BMP/JPEG/PNG image"));
    assert_non_null(strstr(err.message, "notes.txt"));

    /* GIF is a format stb knows but mobilecl does not accept. */
    tmpdir_file(&t, "anim.gif", path, sizeof path);
    const uint8_t gif[] = { 'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ';' };
    write_bytes(path, gif, sizeof gif);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, "not a BMP/JPEG/PNG image"));

    /* A JPEG start-of-image marker followed by nothing useful. */
    tmpdir_file(&t, "cut.jpg", path, sizeof path);
    const uint8_t jpg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0 };
    write_bytes(path, jpg, sizeof jpg);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IMAGE);

    tmpdir_file(&t, "missing.png", path, sizeof path);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_ERR_IO);
    assert_non_null(strstr(err.message, strerror(ENOENT)));
    assert_non_null(strstr(err.message, "missing.png"));

    assert_int_equal(mcl_image_load(t.path, &img, &err), MCL_ERR_IO); /* a folder */

    assert_int_equal(mcl_image_load(NULL, &img, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_load(path, NULL, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_load(path, &img, NULL), MCL_ERR_IO); /* err is optional */

    mcl_image zero;
    memset(&zero, 0, sizeof zero);
    mcl_image_free(&zero); /* freeing an empty image is harmless */
    mcl_image_free(NULL);
    tmpdir_remove(&t);
}

static void test_write_png_round_trip(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char path[512];
    mcl_image img;
    mcl_error err;

    /* RGB 5x3, every byte distinct. */
    uint8_t rgb[5 * 3 * 3];
    for (int i = 0; i < 45; i++) rgb[i] = (uint8_t)(i * 37 + 11);
    tmpdir_file(&t, "out.png", path, sizeof path);
    assert_int_equal(mcl_image_write_png(path, 5, 3, 3, rgb, &err), MCL_OK);
    assert_int_equal(tmpdir_count(&t), 1); /* no temporary file left behind */
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.width, 5);
    assert_int_equal(img.height, 3);
    assert_memory_equal(img.pixels, rgb, 45);
    mcl_image_free(&img);

    /* Grey 3x2 (a class mask) overwrites the previous file in place. */
    const uint8_t grey[6] = { 0, 1, 2, 20, 255, 128 };
    assert_int_equal(mcl_image_write_png(path, 3, 2, 1, grey, &err), MCL_OK);
    assert_int_equal(tmpdir_count(&t), 1);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    assert_int_equal(img.width, 3);
    assert_int_equal(img.height, 2);
    for (int i = 0; i < 6; i++)
        for (int c = 0; c < 3; c++) assert_int_equal(img.pixels[3 * i + c], grey[i]);
    mcl_image_free(&img);

    /* RGBA: mcl_image_load keeps R, G, B and drops alpha (no blending). */
    const uint8_t rgba[8] = { 10, 20, 30, 0, 40, 50, 60, 255 };
    assert_int_equal(mcl_image_write_png(path, 2, 1, 4, rgba, &err), MCL_OK);
    assert_int_equal(mcl_image_load(path, &img, &err), MCL_OK);
    const uint8_t rgb_of_rgba[6] = { 10, 20, 30, 40, 50, 60 };
    assert_memory_equal(img.pixels, rgb_of_rgba, 6);
    mcl_image_free(&img);

    /* Errors: a folder that does not exist, bad arguments; nothing is left behind. */
    tmpdir_file(&t, "no/such/dir/out.png", path, sizeof path);
    assert_int_equal(mcl_image_write_png(path, 2, 1, 4, rgba, &err), MCL_ERR_IO);
    assert_non_null(strstr(err.message, "out.png"));
    tmpdir_file(&t, "x.png", path, sizeof path);
    assert_int_equal(mcl_image_write_png(path, 0, 1, 3, rgba, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_write_png(path, 1, 1, 5, rgba, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_write_png(path, 1, 1, 3, NULL, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(mcl_image_write_png(NULL, 1, 1, 3, rgba, &err), MCL_ERR_ARGUMENT);
    assert_int_equal(tmpdir_count(&t), 1);

    /* A path naming a folder: the PNG is written to a temporary file, then rename() over a
     * non-empty folder fails; the temporary file must be gone again. */
    tmpdir_file(&t, "sub", path, sizeof path);
    assert_int_equal(mkdir(path, 0700), 0);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/keep", path);
    write_bytes(inner, (const uint8_t *)"x", 1);
    assert_int_equal(mcl_image_write_png(path, 2, 1, 4, rgba, &err), MCL_ERR_IO);
    assert_int_equal(tmpdir_count(&t), 2); /* out.png and sub */
    unlink(inner);
    rmdir(path);
    tmpdir_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cat_bmp),
        cmocka_unit_test(test_grace_hopper_bmp),
        cmocka_unit_test(test_palette_mask_bmp),
        cmocka_unit_test(test_parrot_jpg),
        cmocka_unit_test(test_bmp_24bit_bottom_up_odd_width),
        cmocka_unit_test(test_bmp_top_down_and_palette),
        cmocka_unit_test(test_png_handmade_rgb_and_grey),
        cmocka_unit_test(test_huge_headers_refused),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_write_png_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
