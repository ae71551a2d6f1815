/* json.c: the strict JSON check of include/wsnas/json.h: a recursive-descent
 * pass over the RFC 8259 grammar (positions for the message), then cJSON
 * builds the tree, then a walk refuses duplicate keys. */
#include "wsnas/json.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct scan {
    const unsigned char *p, *end, *start;
    ws_json_error *je;
} scan;

static int fail(scan *s, const unsigned char *at, const char *what)
{
    ws_json_error *je = s->je;
    je->line = 1;
    je->column = 1;
    for (const unsigned char *q = s->start; q < at; q++) {
        if (*q == '\n') je->line++, je->column = 1;
        else if ((*q & 0xc0) != 0x80) je->column++; /* count characters, not bytes */
    }
    je->offset = (long)(at - s->start);
    snprintf(je->what, sizeof je->what, "%s", what);
    return -1;
}

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int digits(scan *s)
{
    const unsigned char *q = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
    return s->p > q;
}

static int scan_number(scan *s)
{
    const unsigned char *start = s->p;
    if (*s->p == '-') s->p++;
    if (s->p < s->end && *s->p == '0') {
        s->p++;
        if (s->p < s->end && *s->p >= '0' && *s->p <= '9')
            return fail(s, start, "a number with a leading zero (not JSON)");
    } else if (!digits(s)) {
        return fail(s, start, "expected digits in a number");
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s)) return fail(s, start, "expected digits after the decimal point");
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!digits(s)) return fail(s, start, "expected digits in the exponent");
    }
    char buf[400];
    size_t n = (size_t)(s->p - start);
    if (n >= sizeof buf) return fail(s, start, "a number longer than 399 characters");
    memcpy(buf, start, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v)) return fail(s, start, "a number too large for a double");
    return 0;
}

static int hex4(const unsigned char *q)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = q[i], d = c >= '0' && c <= '9' ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Length of the UTF-8 sequence at q (1..4), or 0 if it is not well formed. */
static int utf8_len(const unsigned char *q, const unsigned char *end)
{
    unsigned c = q[0];
    int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                             : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!n || end - q < n) return 0;
    unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    for (int i = 1; i < n; i++) {
        if ((q[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (q[i] & 0x3f);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

static int scan_string(scan *s)
{
    const unsigned char *start = s->p++;
    while (s->p < s->end) {
        unsigned c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20) return fail(s, s->p, "a raw control character in a string (escape it)");
        if (c == '\\') {
            if (s->end - s->p < 2) break;
            unsigned e = s->p[1];
            if (e == 'u') {
                int v = s->end - s->p >= 6 ? hex4(s->p + 2) : -1;
                if (v < 0) return fail(s, s->p, "expected four hex digits after \\u");
                if (v >= 0xd800 && v <= 0xdbff) { /* a surrogate pair */
                    int w = s->end - s->p >= 12 && s->p[6] == '\\' && s->p[7] == 'u'
                                ? hex4(s->p + 8)
                                : -1;
                    if (w < 0xdc00 || w > 0xdfff)
                        return fail(s, s->p, "a lone UTF-16 surrogate in a \\u escape");
                    s->p += 12;
                } else if (v >= 0xdc00 && v <= 0xdfff) {
                    return fail(s, s->p, "a lone UTF-16 surrogate in a \\u escape");
                } else {
                    s->p += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", (int)e) || !e)
                return fail(s, s->p, "an unknown escape in a string");
            s->p += 2;
            continue;
        }
        int n = utf8_len(s->p, s->end);
        if (!n) return fail(s, s->p, "a string that is not valid UTF-8");
        s->p += n;
    }
    return fail(s, start, "an unterminated string");
}

static int scan_value(scan *s, int depth);

static int scan_container(scan *s, int depth, int object)
{
    const unsigned char close = object ? '}' : ']';
    if (depth >= JSON_MAX_DEPTH) return fail(s, s->p, "nesting deeper than 64 levels");
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    for (;;) {
        if (object) {
            if (s->p >= s->end || *s->p != '"') return fail(s, s->p, "expected a \"key\"");
            if (scan_string(s)) return -1;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') return fail(s, s->p, "expected ':' after a key");
            s->p++;
        }
        if (scan_value(s, depth + 1)) return -1;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return 0;
        }
        return fail(s, s->p, object ? "expected ',' or '}' after an object member"
                                    : "expected ',' or ']' after an array element");
    }
}

static int literal(scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
        return fail(s, s->p, "expected a value (object, array, string, number, true, false or "
                             "null)");
    s->p += n;
    return 0;
}

static int scan_value(scan *s, int depth)
{
    skip_ws(s);
    if (s->p >= s->end) return fail(s, s->p, "expected a value, got the end of the text");
    switch (*s->p) {
    case '{': return scan_container(s, depth, 1);
    case '[': return scan_container(s, depth, 0);
    case '"': return scan_string(s);
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return scan_number(s);
        return fail(s, s->p, "expected a value (object, array, string, number, true, false or "
                             "null)");
    }
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key that appears twice in an object of the tree (NULL if none). */
static const char *duplicate_key(const cJSON *v)
{
    for (; v; v = v->next) {
        if (cJSON_IsObject(v)) {
            int n = 0;
            for (const cJSON *c = v->child; c; c = c->next) n++;
            if (n > 1) {
                const char **k = malloc((size_t)n * sizeof *k);
                if (!k) return "(out of memory)";
                int i = 0;
                for (const cJSON *c = v->child; c; c = c->next) k[i++] = c->string;
                qsort(k, (size_t)n, sizeof *k, by_key);
                const char *dup = NULL;
                for (i = 1; i < n && !dup; i++)
                    if (!strcmp(k[i - 1], k[i])) dup = k[i];
                free(k);
                if (dup) return dup;
            }
        }
        if (v->child) {
            const char *d = duplicate_key(v->child);
            if (d) return d;
        }
    }
    return NULL;
}

int ws_json_parse(const char *text, size_t len, cJSON **out, ws_json_error *je)
{
    *out = NULL;
    memset(je, 0, sizeof *je);
    scan s = {(const unsigned char *)text, (const unsigned char *)text + len,
              (const unsigned char *)text, je};
    if (scan_value(&s, 0)) return -1;
    skip_ws(&s);
    if (s.p != s.end) return fail(&s, s.p, "text after the JSON value");
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        snprintf(je->what, sizeof je->what, "cJSON could not build it (out of memory?)");
        return -1;
    }
    const char *dup = duplicate_key(root);
    if (dup) {
        /* find the repeated key in the text for its position */
        char pat[140];
        snprintf(pat, sizeof pat, "\"%.120s\"", dup);
        size_t pl = strlen(pat);
        const char *first = memmem(text, len, pat, pl);
        const char *second =
            first ? memmem(first + 1, len - (size_t)(first + 1 - text), pat, pl) : NULL;
        snprintf(pat, sizeof pat, "the key \"%.100s\" appears twice in one object", dup);
        fail(&s, (const unsigned char *)(second ? second : text), pat);
        cJSON_Delete(root);
        return -1;
    }
    *out = root;
    return 0;
}

int ws_json_error_set(ws_error *err, const char *source, const ws_json_error *je,
                      int line_first)
{
    if (line_first)
        return ws_error_set(err, WS_EFORMAT, "%s:%ld: invalid JSON near byte %ld (column %ld): %s",
                            source, je->line, je->offset, je->column, je->what);
    return ws_error_set(err, WS_EFORMAT, "%s: invalid JSON near byte %ld (line %ld, column %ld): %s",
                        source, je->offset, je->line, je->column, je->what);
}

int ws_json_parse_text(const char *text, const char *source, int line_first, cJSON **out,
                       ws_error *err)
{
    ws_json_error je;
    if (ws_json_parse(text, strlen(text), out, &je))
        return ws_json_error_set(err, source, &je, line_first);
    return 0;
}
