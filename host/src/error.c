#include "error.h"

#include <stdarg.h>
#include <stdio.h>

const char *mcl_status_name(mcl_status status)
{
    switch (status) {
    case MCL_OK: return "MCL_OK";
    case MCL_ERR_ARGUMENT: return "MCL_ERR_ARGUMENT";
    case MCL_ERR_IO: return "MCL_ERR_IO";
    case MCL_ERR_MODEL: return "MCL_ERR_MODEL";
    case MCL_ERR_UNSUPPORTED: return "MCL_ERR_UNSUPPORTED";
    case MCL_ERR_NOMEM: return "MCL_ERR_NOMEM";
    case MCL_ERR_OPENCL: return "MCL_ERR_OPENCL";
    case MCL_ERR_IMAGE: return "MCL_ERR_IMAGE";
    case MCL_ERR_INTERNAL: return "MCL_ERR_INTERNAL";
    }
    return "MCL_ERR_UNKNOWN";
}

mcl_status mcl_fail(mcl_error *err, mcl_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        /* Messages quote file contents (tensor names, stb's chunk names...): keep them one
         * printable line whatever bytes a hostile file holds. */
        for (char *c = err->message; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
        err->code = code;
    }
    return code;
}

mcl_status mcl_ok(mcl_error *err)
{
    if (err) {
        err->code = MCL_OK;
        err->message[0] = '\0';
    }
    return MCL_OK;
}
