/* nn_internal.h: declarations shared by the files of src/nn/ (not public). */
#ifndef WSNAS_NN_INTERNAL_H
#define WSNAS_NN_INTERNAL_H

#include <stddef.h>

#include "wsnas/common.h"
#include "wsnas/nn.h"

/* Largest plane (in 16-pixel vectors) the direct 3x3 kernel handles. */
#define WS_C3_MAX_VEC 1024

/* 1 when the direct kernels of conv_direct.c handle this convolution. */
int ws_conv_direct_ok(int Cin, int H, int W, int Cout, int K, int stride, int pad);
/* Direct forward / backward (stride 1; K = 1 pad 0 or K = 3 pad 1).  work
 * holds at least Cout*Cin*K*K floats. */
void ws_conv_direct_forward(float *out, const float *inp, const float *weight, int N, int Cin,
                            int H, int W, int Cout, int K, float *work);
void ws_conv_direct_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                             const float *weight, int N, int Cin, int H, int W, int Cout, int K,
                             float *work);

#endif
