/* params.c: the trainable-parameter count of the architecture's NB201
 * network (ws_arch_param_count, as `wsnas arch`), at the recipe's shape. */
#include "internal.h"

int proxy_params(ws_proxy_scorer *s, double *score, ws_error *err)
{
    ws_macro m = proxy_macro(&s->recipe, s->classes);
    int64_t n = ws_arch_param_count(&s->arch, &m);
    if (n < 0) return ws_error_set(err, WS_EINVAL, "params: bad network shape");
    *score = (double)n;
    return 0;
}
