/* netguard.h: lets the methods build before the supernet module lands.
 * The network (src/supernet/) is written on another branch.  While
 * src/supernet/checkpoint.c is absent, the supernet.h functions the methods
 * call are declared weak, so the binary links, and WS_NET_AVAILABLE() is
 * false at run time (`wsnas search` then stops with a clear error).  Once the
 * module is merged, the references are ordinary (strong) ones and this file
 * changes nothing. */
#ifndef WSNAS_METHODS_NETGUARD_H
#define WSNAS_METHODS_NETGUARD_H

#include "wsnas/supernet.h"

#if defined(__has_include)
#if __has_include("../supernet/checkpoint.c")
#define WS_HAVE_SUPERNET 1
#endif
#endif

#ifdef WS_HAVE_SUPERNET
#define WS_NET_AVAILABLE() 1
#else
#pragma weak ws_net_alloc
#pragma weak ws_net_free
#pragma weak ws_net_get_config
#pragma weak ws_net_init
#pragma weak ws_net_params
#pragma weak ws_net_grads
#pragma weak ws_net_buffers
#pragma weak ws_net_momentum
#pragma weak ws_net_forward
#pragma weak ws_net_backward
#pragma weak ws_net_zero_grad
#pragma weak ws_net_sgd_step
#pragma weak ws_net_clip_grad_norm
#pragma weak ws_cosine_lr
#pragma weak ws_adam_step
#pragma weak ws_ckpt_alloc
#pragma weak ws_ckpt_free
#pragma weak ws_ckpt_put
#pragma weak ws_ckpt_get
#pragma weak ws_ckpt_write
#pragma weak ws_ckpt_read
#pragma weak ws_net_save
#pragma weak ws_net_load
#define WS_NET_AVAILABLE() (ws_net_alloc != NULL && ws_adam_step != NULL && ws_ckpt_alloc != NULL)
#endif

#endif
