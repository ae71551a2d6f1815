/* common.h: status codes, the error record every library call fills, and the
 * always-on assertion.  Library functions return 0 or a WS_E* code and write
 * one human-readable line into a caller-provided ws_error; only main prints. */
#ifndef WSNAS_COMMON_H
#define WSNAS_COMMON_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

enum ws_status {
    WS_OK = 0,
    WS_EINVAL = 1025, /* bad argument, string, number or config value */
    WS_EIO,           /* open/read/write/rename failed */
    WS_EFORMAT,       /* a file's content is not what was expected */
    WS_ENOMEM,        /* allocation failed */
    WS_ERANGE,        /* a number out of its allowed range */
    WS_ENOTFOUND,     /* lookup of something absent (arch, key, entry) */
    WS_ESTATE,        /* call not allowed in the object's current state */
    WS_EMPI           /* MPI failure */
};

/* One error line, e.g. "table.csv:17: column 'ops': expected a number, got 'x'". */
typedef struct ws_error {
    int code;
    char msg[640];
} ws_error;

/* Formats msg into err (err may be NULL) and returns code, so that library
 * code can write `return ws_error_set(err, WS_EINVAL, "...", ...);`. */
int ws_error_set(ws_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes an existing message: "context: old message". Returns err->code. */
int ws_error_prefix(ws_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ws_error_clear(ws_error *err);

/* Reads a whole file into a NUL-terminated malloc'd buffer (*out, NULL on
 * failure); WS_EIO names the file when it cannot be opened or read. */
int ws_file_read_text(const char *path, char **out, ws_error *err);
/* Copies src to dst byte for byte; on failure dst is removed. */
int ws_file_copy(const char *src, const char *dst, ws_error *err);
/* Puts a finished temporary file in place durably: fsync(tmp), rename(tmp,
 * dst), fsync of dst's directory.  On failure tmp is removed and dst is
 * the old file (or absent). */
int ws_file_commit(const char *tmp, const char *dst, ws_error *err);
/* Writes n bytes to path through path.tmp and ws_file_commit. */
int ws_file_write_atomic(const char *path, const void *data, size_t n, ws_error *err);
/* fsync of the directory that holds path (after a rename or a create). */
int ws_file_sync_dir(const char *path, ws_error *err);
/* Creates directory path and any missing parents (mkdir -p); an existing
 * path that is not a directory is an error. */
int ws_dir_make(const char *path, ws_error *err);
const char *ws_status_name(int code);
/* Edits (insert, delete, substitute, swap two neighbours) from a to b
 * (99 for names over 63 characters). */
int ws_edit_distance(const char *a, const char *b);
/* The candidate nearest to `name` if it is close (at most 2 edits and fewer
 * than half the longer name's length), else NULL: "did you mean". */
const char *ws_suggest(const char *name, const char *const *cands, int n);

/* Internal invariant; stays on in release builds (unlike assert). */
#define WS_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: internal error: assertion '%s' failed\n", \
                    __FILE__, __LINE__, #cond);                               \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define WS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The release of wsnas (`wsnas --version` adds git describe). */
#define WS_VERSION "0.9.0"

#endif
