/* suggest.c: "did you mean" for misspelt names (commands, options, methods,
 * config keys): the optimal-string-alignment distance (Levenshtein plus
 * adjacent transpositions) and the nearest candidate when it is close. */
#include <string.h>

#include "wsnas/common.h"

int ws_edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63) return 99;
    int d[64][64];
    for (size_t i = 0; i <= na; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1;
            d[i][j] = c;
        }
    return d[na][nb];
}

const char *ws_suggest(const char *name, const char *const *cands, int n)
{
    const char *best = NULL;
    int bd = 99;
    size_t ln = strlen(name);
    for (int i = 0; i < n; i++) {
        if (!cands[i]) continue;
        int d = ws_edit_distance(name, cands[i]);
        size_t lc = strlen(cands[i]);
        /* close: at most 2 edits, and fewer than half of the longer name */
        size_t longer = ln > lc ? ln : lc;
        if (d <= 2 && 2 * (size_t)d < longer && d < bd) bd = d, best = cands[i];
    }
    return best;
}
