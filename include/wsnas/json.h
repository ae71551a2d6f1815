/* json.h: strict JSON (RFC 8259) for every JSON file wsnas reads (configs,
 * manifests, suites, import specs and inputs, split files), in front of
 * cJSON, which alone accepts trailing text after the value, numbers such as
 * 01, -.5, 1. or 1e999 (= inf), raw control characters in strings and
 * duplicate keys.  Here the text must be exactly one value with only
 * whitespace around it; numbers follow the grammar and are finite doubles;
 * strings are valid UTF-8 with valid escapes and no raw control characters;
 * no object repeats a key; nesting is at most 64 deep. */
#ifndef WSNAS_JSON_H
#define WSNAS_JSON_H

#include <stddef.h>

#include "wsnas/common.h"

struct cJSON;

/* Where and why a text is not strict JSON (line and column from 1, byte
 * offset from 0). */
typedef struct ws_json_error {
    long line, column, offset;
    char what[160]; /* "expected ',' or '}' after an object member", ... */
} ws_json_error;

/* Parses text[0..len) (len = strlen(text) if text is NUL-terminated).
 * 0 and the tree in *out (free with cJSON_Delete), or -1 with *je filled
 * and *out = NULL. */
int ws_json_parse(const char *text, size_t len, struct cJSON **out, ws_json_error *je);
/* The one-line message for a refused text, WS_EFORMAT:
 *   line_first: "SOURCE:LINE: invalid JSON near byte OFF (column C): WHAT"
 *   otherwise:  "SOURCE: invalid JSON near byte OFF (line L, column C): WHAT" */
int ws_json_error_set(ws_error *err, const char *source, const ws_json_error *je,
                      int line_first);
/* Both steps: parse `text` (NUL-terminated) or set the message. */
int ws_json_parse_text(const char *text, const char *source, int line_first,
                       struct cJSON **out, ws_error *err);

#endif
