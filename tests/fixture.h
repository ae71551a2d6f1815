/* fixture.h: reader for the reference-tensor files the PyTorch scripts in
 * tests/ write (format in tests/wsfx.py): named float64 tensors.  Also the
 * tolerance-scaled comparison every kernel test uses. */
#ifndef WSNAS_TESTS_FIXTURE_H
#define WSNAS_TESTS_FIXTURE_H

#include <stddef.h>

typedef struct wsfx_tensor {
    char name[128];
    int ndim;
    int dims[8];
    size_t numel;
    double *data;
} wsfx_tensor;

typedef struct wsfx {
    int count;
    wsfx_tensor *t;
} wsfx;

/* Loads $WSNAS_FIXTURES/<file>; returns NULL (and prints why) on failure. */
wsfx *wsfx_load(const char *file);
void wsfx_free(wsfx *fx);
/* The named tensor, or NULL. */
const wsfx_tensor *wsfx_get(const wsfx *fx, const char *name);
/* Max over i of |got-ref| / (atol + rtol*|ref|); <= 1 passes. Prints the
 * first mismatches and the max abs diff under `what` when it fails. */
double wsfx_compare_f(const char *what, const float *got, const double *ref, size_t n,
                      double atol, double rtol);
double wsfx_compare_d(const char *what, const double *got, const double *ref, size_t n,
                      double atol, double rtol);
/* Path helpers: $WSNAS_SHARED (../shared) and $WSNAS_TMP; NULL if unset.
 * The tmp directory is created if absent and returned as an absolute path. */
const char *wsfx_shared_dir(void);
const char *wsfx_tmp_dir(void);
/* $WSNAS_TMP/<name> (or /tmp/<name>) in one of 16 rotating per-thread
 * buffers; tests run in parallel, so every test uses its own names. */
const char *wsfx_tmp_path(const char *name);
/* Runs `'$WSNAS_BIN' <args> 2>&1` (args: shell words); out receives the
 * combined output (NUL-terminated, at most cap-1 bytes).  Returns the exit
 * status, or -1 (with a line on stderr) when WSNAS_BIN is unset, the
 * command is too long or it did not exit normally. */
int wsfx_run_cli(const char *args, char *out, size_t cap);
/* Runs the shell command `cmd 2>&1` the same way (status, combined output). */
int wsfx_run_sh(const char *cmd, char *out, size_t cap);
/* The Python interpreter for tool tests: $WSNAS_PYTHON (the Makefile sets
 * Debian's /usr/bin/python3 when present) or python3; and whether it
 * imports `modules` (comma-separated). */
const char *wsfx_python(void);
int wsfx_python_has(const char *modules);
/* The repository root ($WSNAS_ROOT), or NULL. */
const char *wsfx_root(void);

#endif
