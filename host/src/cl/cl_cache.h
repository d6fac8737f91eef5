/*
 * On-disk cache of built OpenCL programs, so a second process skips the compiler (PoCL: about
 * 0.1-0.6 s per program cold).
 *
 * Key: a 128-bit hash (two independent 64-bit FNV-1a streams) of the program text (every
 * part), the build options, the device name, the device version, the driver version and the
 * platform name; a new driver or a changed kernel gives a new key, so stale entries are never
 * read, only left behind.
 *
 * Location: $MOBILECL_CACHE_DIR, else $XDG_CACHE_HOME/mobilecl, else $HOME/.cache/mobilecl,
 * created (0700) on first store.  MOBILECL_CACHE_DIR=off disables the cache.
 *
 * File: <dir>/<32 hex digits of the key>.clbin = a 48-byte header (magic "MCLBIN01", the key,
 * the binary size, an FNV-1a checksum of the binary) then the binary.  A reader checks all of
 * it against the file size and treats any mismatch (truncated, corrupt, another key) as a
 * miss: the program is built from source and the entry rewritten.
 *
 * Concurrency: a writer writes <key>.tmp.<pid>.<counter> and rename()s it over the entry, which
 * is atomic on POSIX file systems: readers see either no file, the old one or the new one,
 * never a partial one.  Two processes storing the same key race harmlessly (same content).
 * No failure of the cache is an error: it only costs the build.
 *
 * Pruning (cl_cache_prune.c): a new driver, kernel source or library version changes every
 * key, so without it the old entries would stay forever.  A hit marks its entry used (its
 * modification time, at most once a day); the first store of a process (a cold build, rare)
 * removes the program and tuning entries unused for MCL_CL_CACHE_MAX_AGE_DAYS and writers'
 * temporary files older than a day.  Lock files (empty) stay: removing one that another
 * process holds would let two writers lock different files.
 */
#ifndef MCL_CL_CACHE_H
#define MCL_CL_CACHE_H

#include <CL/cl.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mcl_cl_cache_key {
    uint64_t h[2];
} mcl_cl_cache_key;

/* 64-bit FNV-1a of n bytes, continuing from h (MCL_CL_FNV_BASIS to start). */
#define MCL_CL_FNV_BASIS 0xcbf29ce484222325ull
uint64_t mcl_cl_fnv1a(uint64_t h, const void *data, size_t n);

/* Hash of the program text parts, the options and the device's identity. */
mcl_cl_cache_key mcl_cl_cache_make_key(cl_device_id device, const char *const *parts,
                                       const size_t *lengths, int num_parts,
                                       const char *options);

/* A built program from the cache, or NULL on a miss (or any failure). */
cl_program mcl_cl_cache_load(cl_context context, cl_device_id device, const mcl_cl_cache_key *key,
                             const char *options);

/* Stores the binary of a program just built for device; failures are ignored. */
void mcl_cl_cache_store(cl_program program, cl_device_id device, const mcl_cl_cache_key *key);

/* The cache folder in use, or "" when disabled or no home is known (for `mobilecl devices`
 * and docs). */
const char *mcl_cl_cache_dir(char *buf, size_t size);

/* <cache dir>/<32 hex digits of key><suffix> (other files kept next to the programs, e.g. the
 * tuning cache of cl_tune.h); -1 when the cache is disabled or the path does not fit. */
int mcl_cl_cache_file_path(const mcl_cl_cache_key *key, const char *suffix, char *buf,
                           size_t size);

/* mkdir -p with mode 0700 for the folders it creates; 0 on success. */
int mcl_cl_cache_make_dirs(const char *dir);

#define MCL_CL_CACHE_MAX_AGE_DAYS 30

/* Marks the cache file at path used now, when its mark is more than a day old. */
void mcl_cl_cache_touch(const char *path);

/* Removes from dir the .clbin and .tune files not used for max_age_days before now, and
 * temporary files (".tmp.") older than a day; other files stay.  Returns how many went. */
int mcl_cl_cache_prune(const char *dir, long long now, int max_age_days);

#endif
