/* robust_util.h: helpers of the damaged-input, kill and fuzz tests
 * (test_robust.c, test_fuzz.c, test_report.c, test_proxy.c): running the CLI with stderr apart, digests
 * of whole directories (to assert that a refusal changed nothing),
 * copies, and the comparison of two search directories. */
#ifndef WSNAS_TESTS_ROBUST_UTIL_H
#define WSNAS_TESTS_ROBUST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Runs `'$WSNAS_BIN' <args>` (shell words) with stdout to /dev/null and
 * stderr into err (NUL-terminated); returns the exit status, 128 + signal
 * if it was killed, -1 if it could not run. */
int rb_run(const char *args, char *err, size_t cap);
/* Number of lines of s (a last line without newline counts). */
int rb_lines(const char *s);
/* FNV-1a 64 over the sorted names, sizes and contents of the files in dir
 * and its subdirectories (0 if dir cannot be read). */
uint64_t rb_dir_digest(const char *dir);
/* rm -rf dst; cp -r src dst (test scratch only); 0 on success. */
int rb_copy_dir(const char *src, const char *dst);
int rb_rm_rf(const char *path);
/* Whole file (NUL-terminated; *len may be NULL); NULL if absent. */
char *rb_slurp(const char *path, size_t *len);
int rb_write(const char *path, const void *data, size_t n);
/* Drops the last two comma-separated fields of every line (the wall-time
 * columns of epochs.csv), in place. */
void rb_strip_wall(char *csv);
/* 1 if the two search directories hold the same epochs.csv (wall-time
 * columns aside), arch_weights.csv, edge_weights.csv (if any) and
 * checkpoint.bin, byte for byte; else 0 and a line on stderr. */
int rb_same_search(const char *a, const char *b);

/* Writes the run directory `dir` as wsnas search writes it (created if
 * absent): manifest.json for `method` (cpu preset, dataset cifar10, the
 * JSON members `cfg` over it, `seed`), complete if `epochs` is the
 * config's, else running with `epochs` done; epochs.csv with epochs
 * 0..epochs-1, the architecture of epoch e arch0 + e (arch_final if >= 0
 * for the last), entropy 1.5 - 0.1 e (0.1 from epoch 14 on: a long
 * run such as bench_report's stays in range); arch_weights.csv uniform.  The
 * manifest's final_arch is the last epoch's, or `manifest_final` if >= 0.
 * 0, or -1 with the reason in why. */
int rb_write_run(const char *dir, const char *method, int seed, const char *cfg, int epochs,
                 int arch0, int arch_final, int manifest_final, char *why, size_t cap);

#endif
