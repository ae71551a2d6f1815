/* cmd_search.c: `wsnas search`: resolves the configuration (preset, file,
 * --set, flags), checks it, and runs or resumes the search driver, with a
 * progress line on a terminal and plain per-epoch lines otherwise. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "wsnas/config.h"
#include "wsnas/method.h"
#include "wsnas/nn.h"
#include "wsnas/search.h"

static void search_usage(FILE *f)
{
    fprintf(f,
            "usage: wsnas search --method M --out DIR [options]\n"
            "       wsnas search --resume DIR   (or with the first run's options, which must agree)\n"
            "Trains the supernet weights and architecture parameters of method M and writes\n"
            "DIR/epochs.csv, DIR/arch_weights.csv, DIR/manifest.json, DIR/checkpoint.bin.\n\n"
            "methods: %s\n\n"
            "options:\n"
            "  --method M            search method (required)\n"
            "  --dataset D           fashion-mnist (cpu preset) or cifar10 (paper preset)\n"
            "  --preset P            cpu (default: small CPU setup) or paper (published setup)\n"
            "  --config FILE         JSON object of config keys (applied over the preset)\n"
            "  --set KEY=VALUE       override one key (repeatable; after --config)\n"
            "  --seed S              random seed (default 1)\n"
            "  --epochs E            number of epochs\n"
            "  --threads T           OpenMP threads (default 1)\n"
            "  --data-dir DIR        dataset directory (cifar10 default ../shared/cifar10)\n"
            "  --single-level        ERM: both updates on training data (default bilevel)\n"
            "  --out DIR             output directory (must not hold a search)\n"
            "  --resume DIR          continue DIR's search from its last checkpoint\n"
            "  --stop-after-epoch K  stop after K epochs (for resume tests)\n"
            "  --list-keys           every config key: type, default per preset (for\n"
            "                        --method M, default darts) and meaning\n"
            "  -h, --help            this help\n",
            ws_search_method_list());
}

/* --list-keys: key, type, the cpu and paper defaults of `method`, meaning. */
static int list_keys(const char *method)
{
    ws_search_config cpu, paper;
    ws_error err = {0};
    const char *m = method ? method : "darts";
    if (ws_config_preset(m, "cpu", &cpu, &err) || ws_config_preset(m, "paper", &paper, &err))
        return ws_cli_fail("search", &err);
    printf("config keys of wsnas search (--set KEY=VALUE, --config FILE.json), with the defaults "
           "of method %s%s\n\n",
           m, method ? "" : " (--method M for another)");
    printf("%-19s %-30s %s\n", "key", "type", "default: cpu preset | paper preset");
    for (int i = 0; i < ws_config_key_count(); i++) {
        char type[128], vc[600], vp[600];
        ws_config_key_type(i, type, sizeof type);
        ws_config_key_value(&cpu, i, vc, sizeof vc);
        ws_config_key_value(&paper, i, vp, sizeof vp);
        printf("%-19s %-30s %s | %s\n    %s\n", ws_config_key_name(i), type, vc, vp,
               ws_config_key_doc(i));
    }
    return 0;
}

typedef struct progress_ctx {
    int tty;
} progress_ctx;

static void on_progress(const ws_search_progress *p, void *user)
{
    const progress_ctx *pc = user;
    if (!p->epoch_done) {
        if (pc->tty && (p->step % 5 == 0 || p->step == p->steps))
            fprintf(stderr, "\repoch %d/%d step %d/%d loss %.4f %.0f img/s ETA %.0f s   ",
                    p->epoch + 1, p->epochs, p->step, p->steps, p->loss, p->images_per_s,
                    p->eta_s);
        return;
    }
    if (pc->tty) fprintf(stderr, "\r%*s\r", 78, "");
    fprintf(stderr,
            "epoch %d/%d lr %.5f loss %.4f train_acc %.2f valid_acc %.2f entropy %.4f "
            "%.0f img/s %s\n",
            p->epoch + 1, p->epochs, p->lr, p->loss, p->train_acc, p->valid_acc, p->entropy,
            p->images_per_s, p->arch);
}

int ws_cmd_search(int argc, char **argv)
{
    ws_search_args a;
    ws_error err = {0};
    int rc = ws_search_args_parse(argc, argv, &a, &err);
    if (rc) return ws_cli_usage_error("%s", err.msg);
    if (a.help) {
        search_usage(stdout);
        return 0;
    }
    if (a.list_keys) return list_keys(a.method);
    ws_search_config cfg;
    if (ws_search_args_config(&a, NULL, &cfg, &err)) return ws_cli_fail("search", &err);
    if (a.resume && ws_search_check_resume(&cfg, a.resume, &err))
        return ws_cli_fail("search", &err);
    ws_nn_init(cfg.threads);
    progress_ctx pc = {.tty = isatty(fileno(stderr))};
    ws_search_opts so = {.out_dir = a.resume ? a.resume : a.out, .resume = a.resume != NULL,
                         .stop_after_epoch = (int)a.stop_after_epoch, .progress = on_progress,
                         .user = &pc};
    if (ws_search_run(&cfg, &so, &err)) {
        if (pc.tty) fprintf(stderr, "\n");
        return ws_cli_fail("search", &err);
    }
    return 0;
}
