/* flops.c: multiply-adds of one forward pass of one image of the
 * architecture's NB201 network (ws_arch_flops, as `wsnas arch`). */
#include "internal.h"

int proxy_flops(ws_proxy_scorer *s, double *score, ws_error *err)
{
    ws_macro m = proxy_macro(&s->recipe, s->classes);
    int64_t n = ws_arch_flops(&s->arch, &m);
    if (n < 0) return ws_error_set(err, WS_EINVAL, "flops: bad network shape");
    *score = (double)n;
    return 0;
}
