#include "mobilecl.h"

/* The header's string, as this library was compiled with it: an application compares it with
 * its own MCL_VERSION_STRING to see that the libmobilecl.so it loaded is the one it was built
 * against. */
const char *mcl_version(void)
{
    return MCL_VERSION_STRING;
}
