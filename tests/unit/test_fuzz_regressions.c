/* Replays every saved fuzz crasher (the files in tests/fuzz/regressions/<target>/) through
 * the same entry point the fuzz target uses (tests/fuzz/fuzz_entries.c), in the normal build:
 * a fixed bug stays fixed.  An entry aborts on a broken invariant; the sanitizer build
 * (tools/ci_sanitizers.sh) runs this test under ASan + UBSan too. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_entries.h"
#include "test_util.h"

static const char *const targets[] = {"tflite", "image", "labels", "flexbuffer", "yuv"};

static void test_replay_regressions(void **state)
{
    (void)state;
    const char *src = getenv("MOBILECL_SOURCE_DIR");
    if (!src || !*src) fail_msg("MOBILECL_SOURCE_DIR is not set (run the tests through ctest)");
    int total = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", src, targets[t]);
        DIR *d = opendir(dir);
        if (!d) continue; /* no crasher ever found for this target */
        mcl_fuzz_entry entry = mcl_fuzz_find(targets[t]);
        assert_non_null(entry);
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
            size_t size = 0;
            uint8_t *data = mcl_test_read_file(path, &size);
            /* Returns 0 (accepted) or 1 (refused cleanly); a crash fails the test run. */
            int r = entry(data, size);
            assert_true(r == 0 || r == 1);
            free(data);
            n++;
        }
        closedir(d);
        fprintf(stderr, "%s: %d regression inputs replayed\n", targets[t], n);
        total += n;
    }
    fprintf(stderr, "%d regression inputs in all\n", total);
}

/* Inputs written here by hand, each once a bug (or the class of one) found by fuzzing. */
static void test_known_cases(void **state)
{
    (void)state;
    /* A JPEG whose Huffman table declares 0x3fc codes: stb 2.27 overflowed a 257-entry table. */
    static const uint8_t dht[] = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x15, 0x00, 0xFF, 0xFF, 0xFF,
                                  0xFF, 0,    0,    0,    0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0xFF, 0xD9};
    mcl_error err;
    mcl_image img;
    assert_int_equal(mcl_image_load_memory(dht, sizeof dht, &img, &err), MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, "Huffman"));
    assert_null(img.pixels);

    /* A PNG with an unknown critical chunk named with a newline: stb quotes the chunk type in
     * its reason, and the error must stay one printable line. */
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
                                  0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2,
                                  0, 0, 0, 0x90, 0x77, 0x53, 0xDE,
                                  0, 0, 0, 0, 'N', '\n', 'P', 'x', 0, 0, 0, 0};
    mcl_status st = mcl_image_load_memory(png, sizeof png, &img, &err);
    assert_int_not_equal(st, MCL_OK);
    assert_null(strchr(err.message, '\n'));
    assert_null(img.pixels);

    /* An IDAT chunk header claiming 1 GiB in a 57-byte file: stb grew its buffer to the claim
     * (a 2 GiB allocation) before reading. */
    static const uint8_t big_idat[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
                                       0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1,
                                       8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE,
                                       0x40, 0, 0, 0, 'I', 'D', 'A', 'T', 0x78, 0x9C, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(mcl_image_load_memory(big_idat, sizeof big_idat, &img, &err),
                     MCL_ERR_IMAGE);
    assert_non_null(strstr(err.message, "truncated PNG"));
    assert_null(img.pixels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_regressions),
        cmocka_unit_test(test_known_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
