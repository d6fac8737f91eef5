/* Internal error helpers: every internal function that can fail returns an mcl_status and
 * fills an optional mcl_error through mcl_fail(). */
#ifndef MCL_ERROR_H
#define MCL_ERROR_H

#include "mobilecl.h"

#if defined(__GNUC__)
#define MCL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MCL_PRINTF(a, b)
#endif

/* Records code + formatted message in err (when err is not NULL) and returns code. */
mcl_status mcl_fail(mcl_error *err, mcl_status code, const char *fmt, ...) MCL_PRINTF(3, 4);
/* Clears err to MCL_OK / "" and returns MCL_OK. */
mcl_status mcl_ok(mcl_error *err);

#endif
