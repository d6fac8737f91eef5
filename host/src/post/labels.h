/* Internal entry of the labels reader: the same parsing as mcl_labels_load, from memory (the
 * fuzz target and the tests use it; the file version only adds the bounded read). */
#ifndef MCL_POST_LABELS_H
#define MCL_POST_LABELS_H

#include <stddef.h>

#include "mobilecl.h"

/* text need not be NUL-terminated; name only appears in error messages. */
mcl_status mcl_labels_parse(const char *name, const char *text, size_t size,
                            mcl_labels *labels, mcl_error *err);

#endif
