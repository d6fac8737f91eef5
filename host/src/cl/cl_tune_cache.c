/* The tuner's on-disk cache (format and rules in cl_tune.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl_cache.h"
#include "cl_sources.h"
#include "cl_tune.h"

#define MAGIC_LINE "mobilecl-tune 1"
/* A file of a few hundred layers is ~20 kB: anything larger is not ours. */
#define MAX_FILE_BYTES (1u << 20)
#define MAX_ENTRIES    8192

/* The kernel files whose variants are tuned: a change to any of them makes a new file. */
static const char *const TUNED_SOURCES[] = {"common.h", "conv1x1.cl", "conv1x1_group.cl",
                                            "conv2d.cl", "dwconv2d.cl"};
#define NUM_TUNED_SOURCES (sizeof TUNED_SOURCES / sizeof TUNED_SOURCES[0])

void mcl_cl_tune_cache_path(cl_device_id device, char *buf, size_t size)
{
    const char *parts[NUM_TUNED_SOURCES];
    size_t lengths[NUM_TUNED_SOURCES];
    int n = 0;
    for (size_t f = 0; f < NUM_TUNED_SOURCES; f++)
        for (int i = 0; i < mcl_cl_embedded_source_count; i++)
            if (strcmp(mcl_cl_embedded_sources[i].name, TUNED_SOURCES[f]) == 0) {
                parts[n] = mcl_cl_embedded_sources[i].source;
                lengths[n++] = mcl_cl_embedded_sources[i].length;
                break;
            }
    const mcl_cl_cache_key key = mcl_cl_cache_make_key(device, parts, lengths, n, MAGIC_LINE);
    if (mcl_cl_cache_file_path(&key, ".tune", buf, size) != 0 && size) buf[0] = '\0';
}

static int key_ok(const char *k, size_t n)
{
    if (n == 0 || n >= MCL_CL_TUNE_KEY_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

const mcl_cl_tune_entry *mcl_cl_tune_table_find(const mcl_cl_tune_table *t, const char *key)
{
    for (int i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].key, key) == 0) return &t->entries[i];
    return NULL;
}

int mcl_cl_tune_table_put(mcl_cl_tune_table *t, const char *key, const mcl_cl_choice *choice)
{
    if (!key_ok(key, strlen(key))) return 0; /* never written, so never read back */
    mcl_cl_tune_entry *e = (mcl_cl_tune_entry *)mcl_cl_tune_table_find(t, key);
    if (!e) {
        if (t->count >= MAX_ENTRIES) return 0;
        if (t->count == t->cap) {
            const int cap = t->cap ? 2 * t->cap : 32;
            mcl_cl_tune_entry *p = realloc(t->entries, (size_t)cap * sizeof *p);
            if (!p) return -1;
            t->entries = p;
            t->cap = cap;
        }
        e = &t->entries[t->count++];
        snprintf(e->key, sizeof e->key, "%s", key);
    }
    e->choice = *choice;
    return 0;
}

void mcl_cl_tune_table_free(mcl_cl_tune_table *t)
{
    free(t->entries);
    memset(t, 0, sizeof *t);
}

/* A non-negative decimal of at most 4 digits at *p, advancing past it; -1 if none. */
static int read_small(const char **p)
{
    int v = 0, digits = 0;
    while (**p >= '0' && **p <= '9' && digits < 5) {
        v = v * 10 + (**p - '0');
        (*p)++;
        digits++;
    }
    return digits == 0 || digits > 4 ? -1 : v;
}

/* "<key> <tile> <rows> <wg>": fills e, 0 when the line is well formed. */
static int parse_line(const char *line, size_t len, mcl_cl_tune_entry *e)
{
    const char *sp = memchr(line, ' ', len);
    if (!sp || !key_ok(line, (size_t)(sp - line))) return -1;
    memcpy(e->key, line, (size_t)(sp - line));
    e->key[sp - line] = '\0';
    const char *p = sp, *end = line + len;
    int v[3];
    for (int k = 0; k < 3; k++) {
        if (p >= end || *p != ' ') return -1;
        p++;
        v[k] = read_small(&p);
        if (v[k] < 0) return -1;
    }
    if (p != end) return -1;
    if ((v[0] > 8 && v[0] != MCL_PW_TILED && v[0] != MCL_PW_SPLITK) || v[1] > 2 + MCL_DW_WALK ||
        v[2] > 4096)
        return -1;
    e->choice = (mcl_cl_choice){v[0], v[1], v[2]};
    return 0;
}

int mcl_cl_tune_cache_read(const char *path, mcl_cl_tune_table *t)
{
    if (!path || !path[0]) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    struct stat sb;
    char *buf = NULL;
    int rc = 0;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size <= 0 || sb.st_size > (off_t)MAX_FILE_BYTES)
        goto done;
    const size_t size = (size_t)sb.st_size;
    buf = malloc(size + 1);
    if (!buf) {
        rc = -1;
        goto done;
    }
    if (fread(buf, 1, size, f) != size) goto done;
    buf[size] = '\0';
    const size_t ml = strlen(MAGIC_LINE);
    if (size < ml + 1 || memcmp(buf, MAGIC_LINE, ml) != 0 || buf[ml] != '\n') goto done;
    mcl_cl_cache_touch(path); /* in use: not pruned (cl_cache.h) */
    for (size_t pos = ml + 1; pos < size;) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', size - pos);
        const size_t len = nl ? (size_t)(nl - line) : size - pos;
        pos += len + 1;
        mcl_cl_tune_entry e;
        /* Only complete lines: a torn last line of a foreign writer is skipped. */
        if (!nl || parse_line(line, len, &e) != 0) continue;
        if (mcl_cl_tune_table_put(t, e.key, &e.choice) != 0) {
            rc = -1;
            break;
        }
    }
done:
    free(buf);
    fclose(f);
    return rc;
}

static atomic_uint temp_counter;

static int write_file(const char *temp, const mcl_cl_tune_table *t)
{
    FILE *f = fopen(temp, "wb");
    if (!f) return -1;
    int ok = fprintf(f, "%s\n", MAGIC_LINE) > 0;
    for (int i = 0; i < t->count && ok; i++) {
        const mcl_cl_tune_entry *e = &t->entries[i];
        ok = fprintf(f, "%s %d %d %d\n", e->key, e->choice.tile, e->choice.rows, e->choice.wg) > 0;
    }
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
}

int mcl_cl_tune_cache_write(const char *path, const mcl_cl_tune_table *t)
{
    if (!path || !path[0]) return -1;
    char dir[4096], lock[4200], temp[4200];
    const char *slash = strrchr(path, '/');
    const size_t dl = slash ? (size_t)(slash - path) : 0;
    if (!slash || dl == 0 || dl >= sizeof dir) return -1;
    memcpy(dir, path, dl);
    dir[dl] = '\0';
    int n1 = snprintf(lock, sizeof lock, "%s.lock", path);
    int n2 = snprintf(temp, sizeof temp, "%s.tmp.%ld.%u", path, (long)getpid(),
                      atomic_fetch_add(&temp_counter, 1u));
    if (n1 < 0 || (size_t)n1 >= sizeof lock || n2 < 0 || (size_t)n2 >= sizeof temp ||
        mcl_cl_cache_make_dirs(dir) != 0)
        return -1;
    /* The lock only serializes read-merge-rename between processes, so that none drops
     * what another stored meanwhile; without it (a file system without locks) the rename is
     * still atomic and at worst one process's new lines are lost. */
    const int fd = open(lock, O_RDWR | O_CREAT, 0600);
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fd >= 0)
        while (fcntl(fd, F_SETLKW, &fl) != 0 && errno == EINTR) {
        }
    mcl_cl_tune_table merged = {NULL, 0, 0};
    int rc = mcl_cl_tune_cache_read(path, &merged);
    for (int i = 0; i < t->count && rc == 0; i++)
        rc = mcl_cl_tune_table_put(&merged, t->entries[i].key, &t->entries[i].choice);
    if (rc == 0) rc = write_file(temp, &merged);
    if (rc == 0 && rename(temp, path) != 0) rc = -1;
    if (rc != 0) remove(temp);
    mcl_cl_tune_table_free(&merged);
    if (fd >= 0) close(fd); /* releases the lock */
    return rc;
}
