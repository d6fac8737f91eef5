/* README.md's table of environment variables against the code: every MOBILECL_* variable
 * that the library or the CLI reads (a string literal "MOBILECL_..." under host/ and
 * tools/mobilecl/: getenv's argument, or a helper's that calls it) has a row, and every row names a variable that some source under host/, tools/ or tests/
 * still mentions.  The table is how users find the A/B switches, the cache and the kernel
 * folder; two switches and a default had drifted from it before this test. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "test_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 128
#define NAME_LEN 64

typedef struct {
    char names[MAX_NAMES][NAME_LEN];
    int count;
} name_set;

static int has_name(const name_set *s, const char *name)
{
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->names[i], name) == 0) return 1;
    return 0;
}

static void add_name(name_set *s, const char *start)
{
    char name[NAME_LEN];
    size_t n = 0;
    while (n + 1 < sizeof name &&
           ((start[n] >= 'A' && start[n] <= 'Z') || (start[n] >= '0' && start[n] <= '9') ||
            start[n] == '_'))
        name[n] = start[n], n++;
    name[n] = '\0';
    if (!has_name(s, name)) {
        assert_true(s->count < MAX_NAMES);
        snprintf(s->names[s->count++], NAME_LEN, "%s", name);
    }
}

/* What one walk collects: names after `prefix` in every .c/.h/.py/.sh file. */
static const char *walk_prefix;
static name_set *walk_into;

static int scan_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F) return 0;
    const char *dot = strrchr(path, '.');
    if (!dot ||
        (strcmp(dot, ".c") && strcmp(dot, ".h") && strcmp(dot, ".py") && strcmp(dot, ".sh")))
        return 0;
    size_t size = 0;
    char *text = (char *)mcl_test_read_file(path, &size);
    if (!text) return 0;
    char *copy = malloc(size + 1);
    assert_non_null(copy);
    memcpy(copy, text, size);
    copy[size] = '\0';
    free(text);
    const size_t plen = strlen(walk_prefix);
    for (const char *p = strstr(copy, walk_prefix); p; p = strstr(p + plen, walk_prefix))
        add_name(walk_into, p + plen - strlen("MOBILECL_"));
    free(copy);
    return 0;
}

static void collect(const char *root, const char *sub, const char *prefix, name_set *into)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, sub);
    walk_prefix = prefix;
    walk_into = into;
    assert_int_equal(nftw(path, scan_file, 16, FTW_PHYS), 0);
}

static void test_readme_lists_every_variable(void **state)
{
    (void)state;
    const char *root = getenv("MOBILECL_SOURCE_DIR");
    if (!root || !*root) fail_msg("MOBILECL_SOURCE_DIR is not set (run the tests through ctest)");

    static name_set read_by_code, mentioned, documented;
    collect(root, "host", "\"MOBILECL_", &read_by_code);
    collect(root, "tools/mobilecl", "\"MOBILECL_", &read_by_code);
    collect(root, "host", "MOBILECL_", &mentioned);
    collect(root, "tools", "MOBILECL_", &mentioned);
    collect(root, "tests", "MOBILECL_", &mentioned);
    assert_true(read_by_code.count >= 10); /* the walk found the code */

    char path[4096];
    snprintf(path, sizeof path, "%s/README.md", root);
    static char readme[1 << 18];
    mcl_test_read_text(path, readme, sizeof readme);
    const char *row = "\n| `MOBILECL_";
    for (const char *p = strstr(readme, row); p; p = strstr(p + 1, row))
        add_name(&documented, p + strlen(row) - strlen("MOBILECL_"));
    assert_true(documented.count >= 10); /* the table is there */

    int missing = 0;
    for (int i = 0; i < read_by_code.count; i++)
        if (!has_name(&documented, read_by_code.names[i])) {
            fprintf(stderr, "read by the code, not in README.md's table: %s\n",
                    read_by_code.names[i]);
            missing++;
        }
    for (int i = 0; i < documented.count; i++)
        if (!has_name(&mentioned, documented.names[i])) {
            fprintf(stderr, "in README.md's table, used nowhere: %s\n", documented.names[i]);
            missing++;
        }
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_lists_every_variable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
