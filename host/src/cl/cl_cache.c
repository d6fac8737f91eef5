/* On-disk OpenCL program binary cache (the format and the rules are in cl_cache.h). */
#include "cl_cache.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "MCLBIN01"
#define HEADER_BYTES 48
/* Larger entries are not ours (PoCL's binaries of our kernels are 10-200 kB). */
#define MAX_BINARY_BYTES (64u << 20)

static const uint64_t FNV_PRIME = 0x100000001b3ull;

uint64_t mcl_cl_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

/* Two streams with different offsets, each field followed by its length so that moving bytes
 * between fields changes the key. */
static void mix(mcl_cl_cache_key *k, const void *data, size_t n)
{
    uint64_t len = n;
    k->h[0] = mcl_cl_fnv1a(mcl_cl_fnv1a(k->h[0], data, n), &len, sizeof len);
    k->h[1] = mcl_cl_fnv1a(mcl_cl_fnv1a(k->h[1], &len, sizeof len), data, n);
}

static void mix_info(mcl_cl_cache_key *k, cl_device_id device, cl_device_info what)
{
    char buf[512];
    size_t n = 0;
    if (clGetDeviceInfo(device, what, sizeof buf, buf, &n) != CL_SUCCESS || n > sizeof buf) n = 0;
    mix(k, buf, n);
}

mcl_cl_cache_key mcl_cl_cache_make_key(cl_device_id device, const char *const *parts,
                                       const size_t *lengths, int num_parts, const char *options)
{
    mcl_cl_cache_key k = {{0xcbf29ce484222325ull, 0x84222325cbf29ce4ull}};
    for (int i = 0; i < num_parts; i++) mix(&k, parts[i], lengths[i]);
    mix(&k, options ? options : "", options ? strlen(options) : 0);
    mix_info(&k, device, CL_DEVICE_NAME);
    mix_info(&k, device, CL_DEVICE_VERSION);
    mix_info(&k, device, CL_DRIVER_VERSION);
    mix_info(&k, device, CL_DEVICE_VENDOR);
    cl_platform_id platform = NULL;
    if (clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL) ==
        CL_SUCCESS) {
        char buf[512];
        size_t n = 0;
        if (clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof buf, buf, &n) != CL_SUCCESS ||
            n > sizeof buf)
            n = 0;
        mix(&k, buf, n);
    }
    return k;
}

const char *mcl_cl_cache_dir(char *buf, size_t size)
{
    const char *dir = getenv("MOBILECL_CACHE_DIR");
    int n = -1;
    if (dir && strcmp(dir, "off") == 0) n = -1;
    else if (dir && *dir) n = snprintf(buf, size, "%s", dir);
    else if ((dir = getenv("XDG_CACHE_HOME")) && *dir) n = snprintf(buf, size, "%s/mobilecl", dir);
    else if ((dir = getenv("HOME")) && *dir) n = snprintf(buf, size, "%s/.cache/mobilecl", dir);
    if (n < 0 || (size_t)n >= size) {
        if (size) buf[0] = '\0';
        return buf;
    }
    return buf;
}

int mcl_cl_cache_file_path(const mcl_cl_cache_key *key, const char *suffix, char *buf,
                           size_t size)
{
    char dir[3072];
    if (!mcl_cl_cache_dir(dir, sizeof dir)[0]) return -1;
    int n = snprintf(buf, size, "%s/%016llx%016llx%s", dir, (unsigned long long)key->h[0],
                     (unsigned long long)key->h[1], suffix);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int entry_path(const mcl_cl_cache_key *key, char *buf, size_t size)
{
    return mcl_cl_cache_file_path(key, ".clbin", buf, size);
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Reads and checks an entry; returns the binary (malloc'ed) or NULL. */
static unsigned char *read_entry(const char *path, const mcl_cl_cache_key *key, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char hdr[HEADER_BYTES], *bin = NULL;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < HEADER_BYTES ||
        fread(hdr, 1, HEADER_BYTES, f) != HEADER_BYTES || memcmp(hdr, MAGIC, 8) != 0 ||
        get64(hdr + 8) != key->h[0] || get64(hdr + 16) != key->h[1])
        goto miss;
    uint64_t n = get64(hdr + 24);
    if (n == 0 || n > MAX_BINARY_BYTES || (uint64_t)sb.st_size != HEADER_BYTES + n) goto miss;
    bin = malloc((size_t)n);
    if (!bin || fread(bin, 1, (size_t)n, f) != (size_t)n ||
        mcl_cl_fnv1a(MCL_CL_FNV_BASIS, bin, (size_t)n) != get64(hdr + 32))
        goto miss;
    fclose(f);
    *size = (size_t)n;
    return bin;
miss:
    free(bin);
    fclose(f);
    return NULL;
}

cl_program mcl_cl_cache_load(cl_context context, cl_device_id device, const mcl_cl_cache_key *key,
                             const char *options)
{
    char path[4096];
    if (entry_path(key, path, sizeof path) != 0) return NULL;
    size_t size = 0;
    unsigned char *bin = read_entry(path, key, &size);
    if (!bin) return NULL;
    mcl_cl_cache_touch(path);
    cl_int rc, status = CL_SUCCESS;
    const unsigned char *bins[1] = {bin};
    cl_program p = clCreateProgramWithBinary(context, 1, &device, &size, bins, &status, &rc);
    free(bin);
    if (rc != CL_SUCCESS || status != CL_SUCCESS) {
        if (p) clReleaseProgram(p);
        return NULL;
    }
    /* A binary still needs clBuildProgram; a driver that rejects it means a miss. */
    if (clBuildProgram(p, 1, &device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return NULL;
    }
    return p;
}

/* mkdir -p with 0700 for the folders it creates. */
int mcl_cl_cache_make_dirs(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
        buf[i] = c;
    }
    return 0;
}

static atomic_uint temp_counter;

void mcl_cl_cache_store(cl_program program, cl_device_id device, const mcl_cl_cache_key *key)
{
    char dir[3072], path[4096], temp[4200];
    if (!mcl_cl_cache_dir(dir, sizeof dir)[0] || entry_path(key, path, sizeof path) != 0) return;
    /* Only single-device programs are built here, so the binary of index 0 is ours. */
    cl_uint ndev = 0;
    size_t size = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_NUM_DEVICES, sizeof ndev, &ndev, NULL) !=
            CL_SUCCESS ||
        ndev != 1 ||
        clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) !=
            CL_SUCCESS ||
        size == 0 || size > MAX_BINARY_BYTES)
        return;
    (void)device;
    unsigned char *bin = malloc(size);
    unsigned char *bins[1] = {bin};
    if (!bin || clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) !=
                    CL_SUCCESS) {
        free(bin);
        return;
    }
    unsigned char hdr[HEADER_BYTES];
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, MAGIC, 8);
    put64(hdr + 8, key->h[0]);
    put64(hdr + 16, key->h[1]);
    put64(hdr + 24, size);
    put64(hdr + 32, mcl_cl_fnv1a(MCL_CL_FNV_BASIS, bin, size));
    int n = snprintf(temp, sizeof temp, "%s.tmp.%ld.%u", path, (long)getpid(),
                     atomic_fetch_add(&temp_counter, 1u));
    FILE *f = NULL;
    if (n > 0 && (size_t)n < sizeof temp && mcl_cl_cache_make_dirs(dir) == 0)
        f = fopen(temp, "wb");
    if (f) {
        int ok = fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr && fwrite(bin, 1, size, f) == size;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(temp, path) != 0) remove(temp);
    }
    free(bin);
    /* Once per process, on a cold build: the cache's old entries (cl_cache.h, Pruning). */
    static atomic_int pruned;
    if (atomic_exchange(&pruned, 1) == 0)
        mcl_cl_cache_prune(dir, (long long)time(NULL), MCL_CL_CACHE_MAX_AGE_DAYS);
}
