/*
 * The OpenCL variant tuner: for each convolution layer, the kernel variant (conv1x1's pixel
 * tile, dwconv2d's pixel tile and rows) and the work-group size, either from the built-in
 * heuristics, from the tuning cache, or measured (mcl_options.tune, mobilecl.h).
 *
 * Measuring a layer: every candidate is prepared as its own layer and launched alone, back
 * to back in batches with one wait each (a network run enqueues that way too); its time is
 * the best batch's mean.  Variants first (with the heuristic work-group size), then the
 * work-group sizes of the fastest variant; a winner must beat the heuristic by 3%, again in
 * alternated re-timings of the two.  A candidate that does not build or enqueue is
 * skipped; a layer whose measuring fails keeps the heuristic choice.  Nothing of the tuner
 * is ever an error of the session.
 *
 * Cache (cl_tune_cache.c): a text file <cache dir>/<key>.tune next to the program binaries
 * (cl_cache.h), the key hashing the device name, version, vendor, driver and platform
 * versions and the kernel sources; one line per layer geometry.  Rewritten through a
 * temporary file and rename() after merging what another process stored meanwhile (under
 * an fcntl lock); unreadable, foreign or malformed files and lines are ignored.
 *
 * MOBILECL_TUNE_QUICK=1 (tests: no kernel variant to compile) measures only the heuristic
 * variant with its own and one other work-group size.
 */
#ifndef MCL_CL_TUNE_H
#define MCL_CL_TUNE_H

#include "cl_layer.h"

typedef struct mcl_cl_tuner mcl_cl_tuner;

/* One measured layer (kept for mcl_tune_model's report). */
typedef struct mcl_cl_tune_log {
    int op;
    const char *kernel;
    mcl_cl_choice heuristic, best;
    double heuristic_s, best_s;
} mcl_cl_tune_log;

/* Prepares layer i of g into L (zeroed) with the choice b->tune_mode gives: a cached one,
 * a freshly measured one (MCL_TUNE_ON, stored at mcl_cl_tune_finish), or the heuristic.
 * A cached or tuned choice that fails to prepare falls back to the heuristic.  The errors
 * are those of mcl_cl_layer_prepare with the heuristic choice. */
mcl_status mcl_cl_tune_prepare(mcl_cl_backend *b, const mcl_graph *g, int i, mcl_cl_layer *L,
                               mcl_error *err);

/* The choice mcl_cl_tune_prepare would give layer i without measuring: the cache's, else
 * 0s (the heuristic). */
mcl_cl_choice mcl_cl_tune_choice(mcl_cl_backend *b, const mcl_graph *g, int i);

/* Measures every tunable layer of b (prepared, any mode) and replaces those for which a
 * faster choice was found; records a log entry per measured layer.  Only allocation
 * failures are errors. */
mcl_status mcl_cl_tune_all(mcl_cl_backend *b, const mcl_graph *g, mcl_error *err);

/* Writes what was measured to the cache (merging); failures are ignored. */
void mcl_cl_tune_finish(mcl_cl_backend *b);

void mcl_cl_tuner_free(mcl_cl_tuner *t);

/* MCL_POINTWISE_AUTO's decision for g on b's device (cl_backend.c times both paths on the
 * whole network), kept in the tuning cache so that a warm start does not time them again:
 * the cached path in MCL_TUNE_CACHED mode, else MCL_POINTWISE_AUTO (none cached, or another
 * mode).  The key hashes the precision and every device op's kind and geometry. */
mcl_pointwise mcl_cl_tune_cached_pointwise(mcl_cl_backend *b, const mcl_graph *g);
/* Records the decision for g, written at mcl_cl_tune_finish (not in MCL_TUNE_OFF mode). */
void mcl_cl_tune_keep_pointwise(mcl_cl_backend *b, const mcl_graph *g, mcl_pointwise path);

/* Layers measured by this backend and layers that took a cached choice. */
void mcl_cl_tune_counts(const mcl_cl_backend *b, int *measured, int *from_cache);

/* The measured layers' log (valid until the backend is freed). */
const mcl_cl_tune_log *mcl_cl_tune_logs(const mcl_cl_backend *b, int *count);

/* "tile 7 rows 2 wg 4" (fields of the kernel that has them). */
void mcl_cl_choice_text(const char *kernel, const mcl_cl_choice *c, char *buf, size_t size);

/* ---------------------------------------------------------------- the cache (cl_tune_cache.c) */

#define MCL_CL_TUNE_KEY_MAX 128

typedef struct mcl_cl_tune_entry {
    char key[MCL_CL_TUNE_KEY_MAX];
    mcl_cl_choice choice;
} mcl_cl_tune_entry;

typedef struct mcl_cl_tune_table {
    mcl_cl_tune_entry *entries;
    int count, cap;
} mcl_cl_tune_table;

/* The cache file of this device and kernel version; "" when the cache is disabled. */
void mcl_cl_tune_cache_path(cl_device_id device, char *buf, size_t size);
/* Adds the valid entries of the file at path to t (later lines win); a missing, unreadable
 * or foreign file adds nothing.  Returns -1 only when out of memory. */
int mcl_cl_tune_cache_read(const char *path, mcl_cl_tune_table *t);
/* Merges t over the file's current entries and replaces the file atomically; -1 on failure
 * (nothing is left behind). */
int mcl_cl_tune_cache_write(const char *path, const mcl_cl_tune_table *t);
/* Sets key to choice (adding or replacing); -1 when out of memory. */
int mcl_cl_tune_table_put(mcl_cl_tune_table *t, const char *key, const mcl_cl_choice *choice);
const mcl_cl_tune_entry *mcl_cl_tune_table_find(const mcl_cl_tune_table *t, const char *key);
void mcl_cl_tune_table_free(mcl_cl_tune_table *t);

#endif
