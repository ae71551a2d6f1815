/* error.c: the ws_error record (see include/wsnas/common.h). */
#include "wsnas/common.h"

#include <stdarg.h>
#include <string.h>

int ws_error_set(ws_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int ws_error_prefix(ws_error *err, const char *fmt, ...)
{
    if (!err) return WS_EINVAL;
    char head[sizeof err->msg], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t h = strlen(head);
    if (h > sizeof err->msg - 3) h = sizeof err->msg - 3;
    memcpy(err->msg, head, h);
    err->msg[h] = ':';
    err->msg[h + 1] = ' ';
    size_t room = sizeof err->msg - h - 3, o = strnlen(old, room);
    memcpy(err->msg + h + 2, old, o);
    err->msg[h + 2 + o] = '\0';
    return err->code;
}

void ws_error_clear(ws_error *err)
{
    if (err) {
        err->code = WS_OK;
        err->msg[0] = '\0';
    }
}

const char *ws_status_name(int code)
{
    switch (code) {
    case WS_OK: return "ok";
    case WS_EINVAL: return "invalid input";
    case WS_EIO: return "i/o error";
    case WS_EFORMAT: return "bad file format";
    case WS_ENOMEM: return "out of memory";
    case WS_ERANGE: return "out of range";
    case WS_ENOTFOUND: return "not found";
    case WS_ESTATE: return "bad state";
    case WS_EMPI: return "mpi error";
    default: return "unknown error";
    }
}
