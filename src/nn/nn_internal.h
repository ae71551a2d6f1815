/* nn_internal.h: declarations shared by the files of src/nn/ (not public). */
#ifndef WSNAS_NN_INTERNAL_H
#define WSNAS_NN_INTERNAL_H

#include <stddef.h>

#include "wsnas/common.h"
#include "wsnas/nn.h"

/* Largest plane (in 16-pixel vectors) the direct 3x3 kernel handles. */
#define WS_C3_MAX_VEC 1024

/* 1 when the direct kernels of conv_direct.c can handle this convolution
 * (1x1 stride 1 pad 0; 3x3 pad 1 stride 1 or 2), ignoring ws_nn_set_direct;
 * need_dinp: the input gradient is wanted too (stricter channel rule). */
int ws_conv_direct_shape(int Cin, int H, int W, int Cout, int K, int stride, int pad, int need_dinp);
/* ws_conv_direct_shape and the direct kernels are enabled. */
int ws_conv_direct_ok(int Cin, int H, int W, int Cout, int K, int stride, int pad, int need_dinp);
/* Floats of work the direct kernels need for such a shape. */
size_t ws_conv_direct_work(int N, int Cin, int H, int W, int Cout, int K, int stride);
/* relu: the input is read as max(inp, 0) (ReLU then conv, no ReLU tensor). */
void ws_conv_direct_forward(float *out, const float *inp, const float *weight, int N, int Cin,
                            int H, int W, int Cout, int K, int stride, int relu, float *work);
/* relu: the convolution's input is relu(inp): dweight from relu(inp), and
 * dinp += (inp > 0) * (the gradient of relu(inp)). */
void ws_conv_direct_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                             const float *weight, int N, int Cin, int H, int W, int Cout, int K,
                             int stride, int relu, float *work);

/* conv.c's im2col and col2im (test hooks: tests/test_nn.c compares them
 * with the per-element form bit for bit): col (Cin*K*K, nb*Ho*Wo) from
 * images n0..n0+nb-1 of inp (Cin,N,H,W); dinp (Cin,N,H,W) += col2im(dcol). */
void ws_conv_im2col_(float *col, const float *inp, int n0, int nb, int N, int Cin, int H, int W,
                     int K, int stride, int pad);
void ws_conv_col2im_add_(float *dinp, const float *dcol, int n0, int nb, int N, int Cin, int H,
                         int W, int K, int stride, int pad);

/* Winograd F(2x2,3x3) for 3x3 stride-1 pad-1 convolutions (conv_winograd.c). */
#define WS_WINO_MAX_CI 64
int ws_conv_wino_shape(int Cin, int H, int W, int Cout);
/* ws_conv_wino_shape and ws_nn_set_winograd(1). */
int ws_conv_wino_ok(int Cin, int H, int W, int Cout);
/* Floats of work ws_conv_wino_forward needs (the transformed kernel). */
size_t ws_conv_wino_work(int Cin, int Cout);
/* out (Co,N,H,W) (+= when accumulate) = 3x3 pad-1 correlation of inp (Ci,N,H,W)
 * with k(co,ci) = weight[co][ci] (weight (Co,Ci,3,3)), or with transposed = 1
 * k(co,ci) = weight[ci][co] rotated by 180 degrees (weight (Ci,Co,3,3)): the
 * input gradient of a convolution with Cin = Co, Cout = Ci.  relu: the input
 * is read as max(inp, 0); gate (out's layout) non-NULL: only where gate > 0
 * is the result written or added. */
void ws_conv_wino_forward(float *out, const float *inp, const float *weight, int N, int Ci, int H,
                          int W, int Co, int transposed, int accumulate, int relu,
                          const float *gate, float *work);
/* The weight gradient by Winograd: Cin % 16 == 0 on a ws_conv_wino_shape
 * shape, and ws_nn_set_winograd(1). */
int ws_conv_wino_dweight_ok(int Cin, int H, int W, int Cout);
/* Floats of work ws_conv_wino_dweight needs (per-slice partial sums). */
size_t ws_conv_wino_dweight_work(int Cin, int Cout);
/* dw (Co,Ci,3,3) += the 3x3 pad-1 weight gradient from dout (Co,N,H,W) and
 * inp (Ci,N,H,W); the same sums whatever the thread count. */
void ws_conv_wino_dweight(float *dw, const float *dout, const float *inp, int N, int Ci, int H,
                          int W, int Co, int relu, float *work);

#endif
