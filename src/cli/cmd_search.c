/* cmd_search.c: `wsnas search`: resolves the configuration (preset, file,
 * --set, flags), checks it, and runs or resumes the search driver, with a
 * progress line on a terminal and plain per-epoch lines otherwise. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "wsnas/config.h"
#include "wsnas/method.h"
#include "wsnas/search.h"

/* "rs-ws darts ..." from the method table. */
static const char *method_list(void)
{
    static char list[256];
    list[0] = '\0';
    for (int m = 0; m < WS_METHOD_COUNT; m++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", m ? " " : "",
                 ws_method_name(m));
    return list;
}

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
            method_list());
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
    static const struct option opts[] = {
        {"method", required_argument, NULL, 'm'},   {"dataset", required_argument, NULL, 'd'},
        {"preset", required_argument, NULL, 'p'},   {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},      {"seed", required_argument, NULL, 'S'},
        {"epochs", required_argument, NULL, 'E'},   {"threads", required_argument, NULL, 'T'},
        {"data-dir", required_argument, NULL, 'D'}, {"out", required_argument, NULL, 'o'},
        {"resume", required_argument, NULL, 'r'},   {"stop-after-epoch", required_argument, NULL, 'k'},
        {"single-level", no_argument, NULL, 'L'},   {"help", no_argument, NULL, 'h'},
        {"list-keys", no_argument, NULL, 'K'},      {NULL, 0, NULL, 0}};
    const char *method = NULL, *dataset = NULL, *preset = NULL, *config = NULL, *out = NULL,
               *resume = NULL, *data_dir = NULL;
    const char *sets[64];
    int nsets = 0, single = 0, keys = 0;
    long seed = -1, epochs = -1, threads = -1, stop = 0;
    int c;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'm': method = optarg; break;
        case 'd': dataset = optarg; break;
        case 'p': preset = optarg; break;
        case 'c': config = optarg; break;
        case 's':
            if (nsets == 64) return ws_cli_usage_error("more than 64 --set options");
            sets[nsets++] = optarg;
            break;
        case 'S':
            if (ws_cli_parse_long("--seed", optarg, 0, 9007199254740991L, &seed)) return 2;
            break;
        case 'E':
            if (ws_cli_parse_long("--epochs", optarg, 1, 100000, &epochs)) return 2;
            break;
        case 'T':
            if (ws_cli_parse_long("--threads", optarg, 1, 256, &threads)) return 2;
            break;
        case 'k':
            if (ws_cli_parse_long("--stop-after-epoch", optarg, 1, 100000, &stop)) return 2;
            break;
        case 'D': data_dir = optarg; break;
        case 'o': out = optarg; break;
        case 'r': resume = optarg; break;
        case 'L': single = 1; break;
        case 'K': keys = 1; break;
        case 'h': search_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc) return ws_cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (keys) return list_keys(method);
    if (out && resume) return ws_cli_usage_error("give --out DIR or --resume DIR, not both");
    if (!out && !resume) return ws_cli_usage_error("--out DIR (or --resume DIR) is required");
    ws_error err = {0};
    ws_search_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (resume && !method && !config && !preset) {
        /* --resume DIR alone: the recorded configuration (other flags may
         * still be given; the result must agree with the record) */
        if (ws_search_load_config(resume, &cfg, &err)) return ws_cli_fail("search", &err);
    } else {
        char fmethod[32] = "", fpreset[16] = "";
        if (config && ws_config_peek(config, fmethod, fpreset, &err))
            return ws_cli_fail("search", &err);
        if (!method) method = fmethod[0] ? fmethod : NULL;
        if (!method)
            return ws_cli_usage_error("--method is required (%s)", method_list());
        if (!preset) preset = fpreset[0] ? fpreset : "cpu";
        if (ws_config_preset(method, preset, &cfg, &err)) return ws_cli_fail("search", &err);
        if (config && ws_config_apply_file(&cfg, config, &err)) return ws_cli_fail("search", &err);
    }
    for (int i = 0; i < nsets; i++)
        if (ws_config_set(&cfg, sets[i], &err)) return ws_cli_fail("search", &err);
    char buf[600];
    if (dataset) {
        snprintf(buf, sizeof buf, "dataset=%s", dataset);
        if (ws_config_set(&cfg, buf, &err)) return ws_cli_fail("search", &err);
    }
    if (data_dir) {
        snprintf(buf, sizeof buf, "data_dir=%s", data_dir);
        if (ws_config_set(&cfg, buf, &err)) return ws_cli_fail("search", &err);
    }
    if (seed >= 0) cfg.seed = (uint64_t)seed;
    if (epochs > 0) cfg.epochs = (int)epochs;
    if (threads > 0) cfg.threads = (int)threads;
    if (single) cfg.single_level = 1;
    if (ws_config_validate(&cfg, &err)) return ws_cli_fail("search", &err);
    if (resume && ws_search_check_resume(&cfg, resume, &err)) return ws_cli_fail("search", &err);
#ifdef _OPENMP
    omp_set_num_threads(cfg.threads);
#endif
    progress_ctx pc = {.tty = isatty(fileno(stderr))};
    ws_search_opts so = {.out_dir = resume ? resume : out, .resume = resume != NULL,
                         .stop_after_epoch = (int)stop, .progress = on_progress, .user = &pc};
    if (ws_search_run(&cfg, &so, &err)) {
        if (pc.tty) fprintf(stderr, "\n");
        return ws_cli_fail("search", &err);
    }
    return 0;
}
