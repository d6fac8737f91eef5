#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../error.h"
#include "labels.h"

#define MCL_MAX_LABELS_BYTES ((size_t)16 << 20)

void mcl_labels_free(mcl_labels *labels)
{
    if (!labels) return;
    for (int i = 0; i < labels->count; i++) free(labels->names[i]);
    free(labels->names);
    labels->names = NULL;
    labels->count = 0;
}

const char *mcl_labels_get(const mcl_labels *labels, int index)
{
    if (!labels || index < 0 || index >= labels->count) return "";
    return labels->names[index];
}

static mcl_status split_lines(const char *path, const char *text, size_t size, mcl_labels *labels,
                              mcl_error *err)
{
    size_t lines = 0;
    for (size_t i = 0; i < size; i++) {
        if (text[i] == '\0')
            return mcl_fail(err, MCL_ERR_ARGUMENT, "%s: not a text labels file (NUL byte at %zu)",
                            path, i);
        if (text[i] == '\n') lines++;
    }
    if (size && text[size - 1] != '\n') lines++;
    labels->names = calloc(lines ? lines : 1, sizeof *labels->names);
    if (!labels->names) return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory", path);
    size_t start = 0;
    while (start < size) {
        size_t end = start;
        while (end < size && text[end] != '\n') end++;
        size_t len = end - start;
        if (len && text[start + len - 1] == '\r') len--;
        char *name = malloc(len + 1);
        if (!name) {
            mcl_labels_free(labels);
            return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory", path);
        }
        memcpy(name, text + start, len);
        name[len] = '\0';
        labels->names[labels->count++] = name;
        start = end + 1;
    }
    return MCL_OK;
}

mcl_status mcl_labels_parse(const char *name, const char *text, size_t size,
                            mcl_labels *labels, mcl_error *err)
{
    if (!name || !labels || (!text && size))
        return mcl_fail(err, MCL_ERR_ARGUMENT, "labels: NULL argument");
    memset(labels, 0, sizeof *labels);
    if (size > MCL_MAX_LABELS_BYTES)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "%s: larger than 16 MiB, not a labels file", name);
    if (size == 0) return mcl_fail(err, MCL_ERR_ARGUMENT, "%s: empty labels file", name);
    mcl_status st = split_lines(name, text, size, labels, err);
    return st == MCL_OK ? mcl_ok(err) : st;
}

mcl_status mcl_labels_load(const char *path, mcl_labels *labels, mcl_error *err)
{
    if (!path || !labels) return mcl_fail(err, MCL_ERR_ARGUMENT, "labels: NULL argument");
    memset(labels, 0, sizeof *labels);
    FILE *f = fopen(path, "rb");
    if (!f) return mcl_fail(err, MCL_ERR_IO, "%s: %s", path, strerror(errno));
    /* Size the buffer by the file (a regular file), not by the 16 MiB limit: a 10 KB labels
     * file should not cost 16 MiB.  A pipe or device reads up to the limit + 1 byte. */
    size_t cap = MCL_MAX_LABELS_BYTES + 1;
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_IO, "%s: is a folder, not a labels file", path);
    }
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 0 &&
        (unsigned long long)sb.st_size < cap)
        cap = (size_t)sb.st_size + 1; /* + 1 notices a file that grew meanwhile */
    char *text = malloc(cap);
    if (!text) {
        fclose(f);
        return mcl_fail(err, MCL_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t size = fread(text, 1, cap, f);
    int bad = ferror(f);
    fclose(f);
    mcl_status st;
    if (bad)
        st = mcl_fail(err, MCL_ERR_IO, "%s: read error", path);
    else if (size == cap && cap <= MCL_MAX_LABELS_BYTES)
        st = mcl_fail(err, MCL_ERR_IO, "%s: the file grew while reading", path);
    else
        st = mcl_labels_parse(path, text, size, labels, err);
    free(text);
    return st == MCL_OK ? mcl_ok(err) : st;
}
