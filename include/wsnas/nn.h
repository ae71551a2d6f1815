/* nn.h: the numeric kernels of the CPU engine, llm.c style: each op is a
 * plain *_forward / *_backward pair over raw float buffers.
 *
 * Conventions (every kernel):
 *  - Activations use the channel-major layout (C, N, H, W): all images of one
 *    channel are contiguous.  Then a 1x1 convolution over the whole batch is
 *    one GEMM, and batch norm reads each channel as one contiguous run.
 *  - Convolution weights are PyTorch's (Cout, Cin, KH, KW); cross-correlation,
 *    as torch.nn.functional.conv2d.
 *  - Backward functions ACCUMULATE (+=) into d* buffers; a NULL d* pointer
 *    means "not needed" and is skipped.  Forward functions overwrite `out`.
 *  - No allocation inside a kernel: callers pass `work` buffers sized by the
 *    matching *_work_size function (in floats).
 *  - Kernels use OpenMP internally; the result is deterministic for a given
 *    thread count (fixed partitions, no atomics on floats).
 */
#ifndef WSNAS_NN_H
#define WSNAS_NN_H

#include <stddef.h>

/* ---- GEMM (row-major, BLAS argument order) ------------------------------- */
/* C(M,N) = alpha * op(A)(M,K) * op(B)(K,N) + beta * C; op = transpose if T*. */
void ws_sgemm(int transa, int transb, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc);
/* Plain-C reference with the same contract (double accumulation), for tests. */
void ws_sgemm_naive(int transa, int transb, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta,
                    float *C, int ldc);
/* Call once at program start, before any other kernel and before threads:
 * selects the GEMM kernel for this CPU (e.g. the BLAS's AVX-512 kernels when
 * the CPU has them) and sets the thread count (<= 0: all cores).  */
void ws_nn_init(int threads);
/* A short description of the GEMM route that runs, e.g. "BLIS 0.9.0 skx". */
const char *ws_nn_gemm_name(void);
int ws_nn_threads(void);

/* ---- Convolution: (Cin,N,H,W) -> (Cout,N,Ho,Wo), square kernel K ---------- */
/* Ho = (H + 2*pad - K)/stride + 1. No bias (NB201 convs have none).
 * 1x1 stride-1 and 3x3 pad-1 (stride 1 or 2) shapes use direct kernels when
 * built with AVX-512F or AVX2 (3x3: the output width divides or is a
 * multiple of the vector width, 16 or 8, Cout a multiple of 4, and Cin too
 * when dinp is wanted), else im2col + GEMM.  The work size covers both paths (a 3x3 stride-2
 * convolution needs Cin*N*H*W + Cout*Cin*9 floats for its polyphase split). */
size_t ws_conv2d_work_size(int N, int Cin, int H, int W, int Cout, int K, int stride, int pad);
void ws_conv2d_forward(float *out, const float *inp, const float *weight,
                       int N, int Cin, int H, int W, int Cout, int K, int stride, int pad,
                       float *work);
/* out = conv(relu(inp)): ReLU then convolution, the ReLU applied as the
 * direct and Winograd kernels read their input (no ReLU tensor; the same
 * bits as ws_relu_forward then ws_conv2d_forward).  Only for shapes where
 * ws_conv2d_relu_fused_ok says so (callers run the two steps otherwise). */
int ws_conv2d_relu_fused_ok(int Cin, int H, int W, int Cout, int K, int stride, int pad);
void ws_conv2d_relu_forward(float *out, const float *inp, const float *weight, int N, int Cin,
                            int H, int W, int Cout, int K, int stride, int pad, float *work);
/* Backward of ws_conv2d_relu_forward, inp being the ReLU's input: dweight
 * (Cout,Cin,K,K) += the weight gradient from relu(inp); dinp (Cin,N,H,W) +=
 * (inp > 0) * the gradient of relu(inp) (the ReLU's backward folded in, no
 * separate ReLU-gradient tensor).  Either may be NULL. */
void ws_conv2d_relu_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                             const float *weight, int N, int Cin, int H, int W, int Cout, int K,
                             int stride, int pad, float *work);
/* dinp (Cin,N,H,W) += ..., dweight (Cout,Cin,K,K) += ... ; either may be NULL. */
void ws_conv2d_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                        const float *weight, int N, int Cin, int H, int W, int Cout, int K,
                        int stride, int pad, float *work);
/* 0 forces im2col + GEMM for every convolution (tests compare both paths);
 * 1 (default) enables the direct kernels.  Not thread-safe: set it between steps. */
void ws_nn_set_direct(int on);
/* 0 makes 3x3 stride-1 convolutions use the direct kernel instead of
 * Winograd F(2x2,3x3) (tests compare both); 1 (default) enables it where the
 * shape fits.  Not thread-safe: set it between steps. */
void ws_nn_set_winograd(int on);
/* 0 makes ws_conv2d_relu_fused_ok() refuse every shape, so callers run a
 * separate ReLU (benchmarks compare both); 1 (default).  Not thread-safe:
 * set it between steps. */
void ws_nn_set_relu_fusion(int on);
/* Which convolution kernels run (for benchmark headers), given the CPU and
 * the switches above. */
const char *ws_nn_conv_name(void);

/* ---- Batch norm over (C, M) with M = N*H*W, PyTorch semantics ------------ */
/* Training: normalise with the biased batch variance; save mean and rstd (C)
 * and the normalised values xhat (C,M) for backward (xhat may alias out when
 * gamma == NULL, i.e. affine=False; NULL: not saved, a forward-only pass,
 * out the same bits).  If running_mean/var are non-NULL they
 * are updated: r = (1-momentum) r + momentum * batch, var with the unbiased
 * estimate M/(M-1).  gamma/beta NULL means affine=False. */
void ws_batchnorm_forward_train(float *out, float *xhat, float *mean, float *rstd,
                                const float *inp, const float *gamma, const float *beta,
                                float *running_mean, float *running_var,
                                float momentum, float eps, int C, int M);
/* Evaluation with running statistics. */
void ws_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                               const float *beta, const float *running_mean,
                               const float *running_var, float eps, int C, int M);
/* Backward of the training form from xhat and rstd. */
void ws_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *xhat, const float *rstd, const float *gamma,
                           int C, int M);
/* Backward of the evaluation form (a per-channel affine map). */
void ws_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                const float *inp, const float *gamma,
                                const float *running_mean, const float *running_var,
                                float eps, int C, int M);

/* ---- Elementwise --------------------------------------------------------- */
void ws_relu_forward(float *out, const float *inp, size_t n);
/* dinp += dout * (inp > 0) */
void ws_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);

/* s1 = sum a[i] and s2 = sum a[i]*b[i] (b NULL: sum a[i]^2) over [0,n),
 * accumulated in double (AVX-512: 16 double lanes, AVX2: 16, fixed order;
 * no threads).
 * For per-channel statistics and architecture-gradient dot products. */
void ws_nn_sums(const float *a, const float *b, size_t n, double *s1, double *s2);

/* ---- Pooling -------------------------------------------------------------- */
/* 3x3, stride 1, pad 1, count_include_pad=False: (C,N,H,W) -> same shape. */
void ws_avgpool3_forward(float *out, const float *inp, int C, int N, int H, int W);
void ws_avgpool3_backward(float *dinp, const float *dout, int C, int N, int H, int W);
/* P consecutive H x W planes of ws_avgpool3_forward (the same values),
 * without threads, for callers that fuse the pool into their own loop over
 * planes; H, W <= WS_POOL3_PLANE_MAX. */
#define WS_POOL3_PLANE_MAX 64
void ws_avgpool3_forward_planes(float *out, const float *inp, int P, int H, int W);
/* 2x2, stride 2, pad 0 (H, W even): (C,N,H,W) -> (C,N,H/2,W/2). */
void ws_avgpool2_forward(float *out, const float *inp, int C, int N, int H, int W);
void ws_avgpool2_backward(float *dinp, const float *dout, int C, int N, int H, int W);
/* Global average pool: (C,N,H,W) -> (N,C) row-major (ready for linear). */
void ws_gap_forward(float *out, const float *inp, int C, int N, int H, int W);
void ws_gap_backward(float *dinp, const float *dout, int C, int N, int H, int W);

/* ---- Linear: out (N,OC) = inp (N,C) * weight(OC,C)^T + bias(OC) ----------- */
void ws_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC);
void ws_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC);

/* ---- Softmax cross-entropy, mean over the batch --------------------------- */
/* logits (N,K), labels in [0,K). Writes probs (N,K); returns the mean loss
 * and, if correct != NULL, the number of top-1 hits (ties: lowest index). */
float ws_crossentropy_forward(float *probs, const float *logits, const int *labels,
                              int N, int K, int *correct);
/* dlogits += dloss * (probs - onehot) / N */
void ws_crossentropy_backward(float *dlogits, const float *probs, const int *labels,
                              int N, int K, float dloss);

#endif
