/* relu_mask.c: ReLU mask record and replay (ws_net_relu_mask_alloc,
 * ws_net_relu_mask_mode).  In RECORD mode every ReLU of the network runs as
 * usual and also stores its mask (input > 0) into a preallocated byte per
 * output element; in REPLAY mode the ReLUs apply the recorded masks to
 * their current inputs instead (y = x * mask, dx += dy * mask), so the
 * network is smooth in its weights around the recorded point (grasp's
 * Hessian-vector product, src/proxy/grasp.c).  A mask is keyed by the
 * arena buffer its ReLU writes (cell relu[j], reduction relu_a / relu_b,
 * head_relu), which the forward and backward sites of that ReLU share.
 * OFF (the default, training) leaves every kernel and fusion as it was. */
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"
#include "wsnas/nn.h"

typedef struct relu_slot {
    const float *out;   /* the ReLU's output buffer (the key) */
    uint8_t *mask;      /* numel bytes: 1 where the recorded input was > 0 */
    size_t numel;       /* at max_batch */
    size_t recorded;    /* elements written by the last RECORD pass (0: none) */
} relu_slot;

struct ws_relu_masks {
    ws_relu_mask_mode mode;
    int n_slots;
    relu_slot *slots;
    uint8_t *block;
};

const char *const ws_relu_mask_mode_names[] = {"off", "record", "replay"};
_Static_assert(sizeof ws_relu_mask_mode_names / sizeof *ws_relu_mask_mode_names ==
                   WS_RELU_MASK_MODE_COUNT,
               "one name per mask mode");

static void slot_add(ws_relu_masks *m, const float *out, size_t numel)
{
    m->slots[m->n_slots++] = (relu_slot){out, NULL, numel, 0};
}

/* Every ReLU output buffer of the network and its size at max_batch. */
static void slots_collect(const ws_net *net, ws_relu_masks *m)
{
    size_t B = (size_t)net->cfg.max_batch;
    for (int k = 0; k < net->n_cells; k++) {
        const ws_cell *c = &net->cells[k];
        for (int j = 0; j < 3; j++) slot_add(m, c->relu[j], (size_t)c->C * B * c->H * c->W);
    }
    for (int r = 0; r < 2; r++) {
        const ws_redblock *rb = &net->red[r];
        slot_add(m, rb->relu_a, (size_t)rb->Cin * B * rb->H * rb->W);
        slot_add(m, rb->relu_b, (size_t)rb->Cout * B * (rb->H / 2) * (rb->W / 2));
    }
    slot_add(m, net->head_relu, (size_t)net->Cf * B * net->Hf * net->Hf);
}

void ws_relu_masks_free_(ws_relu_masks *m)
{
    if (!m) return;
    free(m->slots);
    free(m->block);
    free(m);
}

int ws_net_relu_mask_alloc(ws_net *net, ws_error *err)
{
    if (net->rmask) return 0;
    if (net->cfg.pc_k > 1)
        return ws_error_set(err, WS_EINVAL, "relu masks: not for partial-channel networks");
    ws_relu_masks *m = calloc(1, sizeof *m);
    int n = 3 * net->n_cells + 5;
    if (m) m->slots = calloc((size_t)n, sizeof *m->slots);
    if (!m || !m->slots) {
        ws_relu_masks_free_(m);
        return ws_error_set(err, WS_ENOMEM, "relu masks: out of memory");
    }
    slots_collect(net, m);
    size_t total = 0;
    for (int i = 0; i < m->n_slots; i++) total += m->slots[i].numel;
    m->block = malloc(total ? total : 1);
    if (!m->block) {
        ws_relu_masks_free_(m);
        return ws_error_set(err, WS_ENOMEM, "relu masks: out of memory (%zu bytes)", total);
    }
    size_t off = 0;
    for (int i = 0; i < m->n_slots; i++) {
        m->slots[i].mask = m->block + off;
        off += m->slots[i].numel;
    }
    net->rmask = m;
    return 0;
}

int ws_net_relu_mask_mode(ws_net *net, ws_relu_mask_mode mode, ws_error *err)
{
    if ((unsigned)mode >= WS_RELU_MASK_MODE_COUNT)
        return ws_error_set(err, WS_EINVAL, "relu masks: unknown mode %d", (int)mode);
    ws_relu_masks *m = net->rmask;
    if (mode == WS_RELU_MASK_OFF) {
        if (m) m->mode = mode;
        return 0;
    }
    if (!m)
        return ws_error_set(err, WS_ESTATE, "relu masks: %s without ws_net_relu_mask_alloc",
                            ws_relu_mask_mode_names[mode]);
    if (mode == WS_RELU_MASK_RECORD)
        for (int i = 0; i < m->n_slots; i++) m->slots[i].recorded = 0;
    if (mode == WS_RELU_MASK_REPLAY && !m->slots[m->n_slots - 1].recorded) /* the head's */
        return ws_error_set(err, WS_ESTATE, "relu masks: replay before a recorded forward");
    m->mode = mode;
    return 0;
}

int ws_net_relu_mask_on_(const ws_net *net)
{
    return net->rmask && net->rmask->mode != WS_RELU_MASK_OFF;
}

/* The slot of the ReLU writing out (mask mode on). */
static relu_slot *slot_find(const ws_net *net, const float *out)
{
    ws_relu_masks *m = net->rmask;
    for (int i = 0; i < m->n_slots; i++)
        if (m->slots[i].out == out) return &m->slots[i];
    WS_ASSERT(!"relu masks: a ReLU output buffer without a slot");
    return NULL;
}

void ws_net_relu_forward_(ws_net *net, float *out, const float *x, size_t n)
{
    if (!ws_net_relu_mask_on_(net)) {
        ws_relu_forward(out, x, n);
        return;
    }
    relu_slot *s = slot_find(net, out);
    WS_ASSERT(n <= s->numel);
    uint8_t *mk = s->mask;
    if (net->rmask->mode == WS_RELU_MASK_RECORD) {
        ws_relu_forward(out, x, n);
        for (size_t i = 0; i < n; i++) mk[i] = x[i] > 0.0f;
        s->recorded = n;
        return;
    }
    WS_ASSERT(s->recorded == n); /* replayed at the recorded batch and architecture */
    for (size_t i = 0; i < n; i++) out[i] = mk[i] ? x[i] : 0.0f;
}

void ws_net_relu_backward_(ws_net *net, const float *out, float *dx, const float *dy,
                           const float *x, size_t n)
{
    if (!ws_net_relu_mask_on_(net) || net->rmask->mode == WS_RELU_MASK_RECORD) {
        ws_relu_backward(dx, dy, x, n); /* RECORD: the mask is x > 0 itself */
        return;
    }
    relu_slot *s = slot_find(net, out);
    WS_ASSERT(s->recorded == n);
    const uint8_t *mk = s->mask;
    if (!dx) return;
    for (size_t i = 0; i < n; i++)
        if (mk[i]) dx[i] += dy[i];
}
