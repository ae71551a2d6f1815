#!/usr/bin/python3
"""gen_nn_fixtures.py: PyTorch references for the numeric kernels (src/nn/).

Writes tests/fixtures/nn_{conv,bn,pool,linear}.wsfx (format: tests/wsfx.py).
Inputs are float32 values; the references are computed in float64 by
torch.nn.functional.  Activations are stored channel-major (C,N,H,W), the
layout of the C kernels, i.e. PyTorch's NCHW tensor permuted (1,0,2,3).
Run by hand: /usr/bin/python3 tests/gen_nn_fixtures.py (CI reads the files).
"""
import os

import torch
import torch.nn.functional as F

import wsfx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def f32(*shape, gen, scale=1.0):
    """Random float32-representable values, as float64 tensors."""
    return (torch.randn(*shape, generator=gen) * scale).float().double()


def cm(t):
    """NCHW -> channel-major (C,N,H,W)."""
    return t.permute(1, 0, 2, 3).contiguous()


def conv_cases(gen):
    # (N, Cin, H, W, Cout, K, stride, pad)
    cases = [(2, 3, 6, 5, 4, 3, 1, 1), (2, 3, 7, 6, 5, 3, 2, 1), (3, 4, 5, 5, 6, 1, 1, 0),
             (2, 4, 6, 6, 3, 1, 2, 0), (2, 2, 6, 7, 3, 3, 1, 0), (1, 16, 8, 8, 16, 3, 1, 1),
             # Winograd F(2x2,3x3) shapes (8-, 16- and 32-wide planes; the
             # first also above)
             (2, 8, 16, 16, 16, 3, 1, 1), (1, 16, 4, 32, 8, 3, 1, 1)]
    t = {}
    for i, (n, cin, h, w, cout, k, s, p) in enumerate(cases):
        x = f32(n, cin, h, w, gen=gen).requires_grad_()
        wt = f32(cout, cin, k, k, gen=gen, scale=0.3).requires_grad_()
        y = F.conv2d(x, wt, stride=s, padding=p)
        dy = f32(*y.shape, gen=gen)
        y.backward(dy)
        t[f"c{i}_shape"] = torch.tensor([n, cin, h, w, cout, k, s, p], dtype=torch.float64)
        t[f"c{i}_inp"] = cm(x)
        t[f"c{i}_weight"] = wt
        t[f"c{i}_out"] = cm(y)
        t[f"c{i}_dout"] = cm(dy)
        t[f"c{i}_dinp"] = cm(x.grad)
        t[f"c{i}_dweight"] = wt.grad
    wsfx.write(os.path.join(OUT, "nn_conv.wsfx"), t)


def bn_cases(gen):
    t = {}
    n, c, h, w = 3, 4, 5, 6
    eps, mom = 1e-5, 0.1
    for i, affine in enumerate([True, False]):
        x = (f32(n, c, h, w, gen=gen, scale=2.0) + 0.5).requires_grad_()
        g = (1.0 + f32(c, gen=gen, scale=0.3)).requires_grad_()
        b = f32(c, gen=gen, scale=0.3).requires_grad_()
        rm0 = f32(c, gen=gen, scale=0.2)
        rv0 = (1.0 + f32(c, gen=gen, scale=0.2).abs())
        rm, rv = rm0.clone(), rv0.clone()
        y = F.batch_norm(x, rm, rv, g if affine else None, b if affine else None,
                         training=True, momentum=mom, eps=eps)
        dy = f32(*y.shape, gen=gen)
        y.backward(dy)
        p = f"t{i}_"
        t[p + "shape"] = torch.tensor([n, c, h, w, int(affine)], dtype=torch.float64)
        t[p + "inp"] = cm(x)
        t[p + "gamma"], t[p + "beta"] = g, b
        t[p + "rm0"], t[p + "rv0"], t[p + "rm1"], t[p + "rv1"] = rm0, rv0, rm, rv
        t[p + "out"], t[p + "dout"], t[p + "dinp"] = cm(y), cm(dy), cm(x.grad)
        if affine:
            t[p + "dgamma"], t[p + "dbeta"] = g.grad, b.grad
    # evaluation form
    x = f32(n, c, h, w, gen=gen).requires_grad_()
    g = (1.0 + f32(c, gen=gen, scale=0.3)).requires_grad_()
    b = f32(c, gen=gen, scale=0.3).requires_grad_()
    rm = f32(c, gen=gen, scale=0.2)
    rv = 1.0 + f32(c, gen=gen, scale=0.2).abs()
    y = F.batch_norm(x, rm, rv, g, b, training=False, eps=eps)
    dy = f32(*y.shape, gen=gen)
    y.backward(dy)
    t["e_shape"] = torch.tensor([n, c, h, w], dtype=torch.float64)
    t["e_inp"], t["e_gamma"], t["e_beta"], t["e_rm"], t["e_rv"] = cm(x), g, b, rm, rv
    t["e_out"], t["e_dout"], t["e_dinp"] = cm(y), cm(dy), cm(x.grad)
    t["e_dgamma"], t["e_dbeta"] = g.grad, b.grad
    wsfx.write(os.path.join(OUT, "nn_bn.wsfx"), t)


def pool_cases(gen):
    t = {}
    n, c, h, w = 2, 3, 5, 6
    x = f32(n, c, h, w, gen=gen).requires_grad_()
    y = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    dy = f32(*y.shape, gen=gen)
    y.backward(dy)
    t["p3_shape"] = torch.tensor([n, c, h, w], dtype=torch.float64)
    t["p3_inp"], t["p3_out"], t["p3_dout"], t["p3_dinp"] = cm(x), cm(y), cm(dy), cm(x.grad)
    n, c, h, w = 2, 3, 6, 8
    x = f32(n, c, h, w, gen=gen).requires_grad_()
    y = F.avg_pool2d(x, 2, stride=2)
    dy = f32(*y.shape, gen=gen)
    y.backward(dy)
    t["p2_shape"] = torch.tensor([n, c, h, w], dtype=torch.float64)
    t["p2_inp"], t["p2_out"], t["p2_dout"], t["p2_dinp"] = cm(x), cm(y), cm(dy), cm(x.grad)
    n, c, h, w = 3, 4, 5, 3
    x = f32(n, c, h, w, gen=gen).requires_grad_()
    y = F.adaptive_avg_pool2d(x, 1).flatten(1)  # (N, C)
    dy = f32(*y.shape, gen=gen)
    y.backward(dy)
    t["g_shape"] = torch.tensor([n, c, h, w], dtype=torch.float64)
    t["g_inp"], t["g_out"], t["g_dout"], t["g_dinp"] = cm(x), y, dy, cm(x.grad)
    x = f32(2, 3, 4, 5, gen=gen).requires_grad_()
    y = F.relu(x)
    dy = f32(*y.shape, gen=gen)
    y.backward(dy)
    t["r_inp"], t["r_out"], t["r_dout"], t["r_dinp"] = x, y, dy, x.grad
    wsfx.write(os.path.join(OUT, "nn_pool.wsfx"), t)


def linear_cases(gen):
    t = {}
    n, c, oc = 5, 7, 4
    x = f32(n, c, gen=gen).requires_grad_()
    wt = f32(oc, c, gen=gen, scale=0.4).requires_grad_()
    b = f32(oc, gen=gen, scale=0.2).requires_grad_()
    y = F.linear(x, wt, b)
    dy = f32(n, oc, gen=gen)
    y.backward(dy)
    t["l_inp"], t["l_weight"], t["l_bias"], t["l_out"] = x, wt, b, y
    t["l_dout"], t["l_dinp"], t["l_dweight"], t["l_dbias"] = dy, x.grad, wt.grad, b.grad
    n, k = 6, 10
    z = f32(n, k, gen=gen, scale=2.0).requires_grad_()
    labels = torch.randint(0, k, (n,), generator=gen)
    loss = F.cross_entropy(z, labels)
    loss.backward(torch.tensor(0.7, dtype=torch.float64))
    t["x_logits"], t["x_labels"] = z, labels.double()
    t["x_loss"], t["x_probs"], t["x_dlogits"] = loss.reshape(1), F.softmax(z, 1), z.grad
    t["x_correct"] = (z.argmax(1) == labels).sum().double().reshape(1)
    wsfx.write(os.path.join(OUT, "nn_linear.wsfx"), t)


def main():
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(20261128)
    os.makedirs(OUT, exist_ok=True)
    conv_cases(gen)
    bn_cases(gen)
    pool_cases(gen)
    linear_cases(gen)


if __name__ == "__main__":
    main()
