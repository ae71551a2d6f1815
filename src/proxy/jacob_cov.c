/* jacob_cov.c: the Jacobian covariance score of Mellor et al.'s first NASWOT
 * version as zero-cost-nas measures/jacob_cov.py: J = d(sum of logits)/dx
 * for each of the 64 images (train-mode BN, so the images interact through
 * the batch statistics, as in the reference), C = corrcoef of J's rows,
 * score = -sum_i (log(v_i + k) + 1/(v_i + k)), k = 1e-5, v = eigenvalues of
 * C (GSL's symmetric eigensolver; the reference's np.linalg.eig).  A row of
 * J with no variance (a cell whose output does not depend on its input)
 * leaves C undefined: NaN, as the reference. */
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <math.h>

#include "internal.h"

#define JACOB_K 1e-5

double proxy_jacob_score(const float *J, int n, int d, double *work)
{
    double *C = work, *mean = work + (size_t)n * n, *norm = mean + n;
    for (int a = 0; a < n; a++) {
        const float *r = J + (size_t)a * d;
        double m = 0.0;
        for (int i = 0; i < d; i++) m += r[i];
        mean[a] = m / d;
    }
    for (int a = 0; a < n; a++)
        for (int b = a; b < n; b++) {
            const float *ra = J + (size_t)a * d, *rb = J + (size_t)b * d;
            double c = 0.0;
            for (int i = 0; i < d; i++) c += (ra[i] - mean[a]) * (rb[i] - mean[b]);
            C[(size_t)a * n + b] = C[(size_t)b * n + a] = c;
        }
    for (int a = 0; a < n; a++) {
        norm[a] = sqrt(C[(size_t)a * n + a]);
        if (!(norm[a] > 0.0)) return NAN;
    }
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) C[(size_t)a * n + b] /= norm[a] * norm[b];
    gsl_matrix_view m = gsl_matrix_view_array(C, (size_t)n, (size_t)n);
    gsl_vector *v = gsl_vector_alloc((size_t)n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc((size_t)n);
    double score = NAN;
    if (v && w && gsl_eigen_symm(&m.matrix, v, w) == GSL_SUCCESS) {
        score = 0.0;
        for (int i = 0; i < n; i++) {
            double e = gsl_vector_get(v, (size_t)i) + JACOB_K;
            score -= log(e) + 1.0 / e; /* log of e <= 0 gives NaN, as numpy */
        }
    }
    gsl_eigen_symm_free(w);
    gsl_vector_free(v);
    return score;
}

int proxy_jacob_cov(ws_proxy_scorer *s, double *score, ws_error *err)
{
    int B = s->grad.n, K = s->classes, d = 3 * s->recipe.in_size * s->recipe.in_size;
    float *J = s->scratch, *ones = s->scratch + (size_t)B * d;
    for (int i = 0; i < B * K; i++) ones[i] = 1.0f;
    ws_net_zero_grad(s->net);
    ws_net_forward(s->net, s->grad.x, s->grad.y, B, &s->mix, 1, NULL);
    ws_net_backward_logits(s->net, ones, J);
    double *work = proxy_dbuf(s, (size_t)B * B + 2 * (size_t)B, err);
    if (!work) return err ? err->code : WS_ENOMEM;
    *score = proxy_jacob_score(J, B, d, work);
    return 0;
}
