/* internal.h: helpers shared by the files of the data module (not public). */
#ifndef WSNAS_DATA_INTERNAL_H
#define WSNAS_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wsnas/common.h"

/* Largest file (after gunzip) the loaders accept: 3 GiB. */
#define WS_DATA_MAX_BYTES ((size_t)3 << 30)

/* Reads all of `path` into a fresh buffer (*buf, *len; free with free()).
 * If allow_gzip and the file starts with the gzip magic, it is decompressed
 * through zlib.  Errors name the file (and the byte offset for corrupt gzip
 * data).  *buf gets one extra zero byte past *len (for text parsers). */
int ws_data_read_file(const char *path, int allow_gzip, uint8_t **buf, size_t *len,
                      ws_error *err);
/* Big- and little-endian 32-bit reads from a byte buffer. */
uint32_t ws_data_be32(const uint8_t *p);
uint32_t ws_data_le32(const uint8_t *p);
void ws_data_put_le32(uint8_t *p, uint32_t v);
/* 1 if the file exists and is readable. */
int ws_data_file_exists(const char *path);

#endif
