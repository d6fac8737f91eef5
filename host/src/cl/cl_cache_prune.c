/* Keeping the on-disk cache bounded: use marks and the removal of old entries (cl_cache.h). */
#include "cl_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DAY_SECONDS 86400LL

void mcl_cl_cache_touch(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && (long long)time(NULL) - (long long)sb.st_mtime > DAY_SECONDS)
        utimensat(AT_FDCWD, path, NULL, 0);
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

int mcl_cl_cache_prune(const char *dir, long long now, int max_age_days)
{
    DIR *d = dir && dir[0] ? opendir(dir) : NULL;
    if (!d) return 0;
    int removed = 0;
    struct dirent *e;
    char path[4352];
    while ((e = readdir(d)) != NULL) {
        const int temp = strstr(e->d_name, ".tmp.") != NULL;
        if (!temp && !ends_with(e->d_name, ".clbin") && !ends_with(e->d_name, ".tune")) continue;
        const int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (n < 0 || (size_t)n >= sizeof path || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        const long long limit = temp ? DAY_SECONDS : (long long)max_age_days * DAY_SECONDS;
        if (now - (long long)sb.st_mtime > limit && remove(path) == 0) removed++;
    }
    closedir(d);
    return removed;
}
