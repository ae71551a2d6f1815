/* search_args.c: the command line of `wsnas search` as library calls (one
 * option table): parsed into ws_search_args and resolved into the search
 * configuration.  cmd_search.c runs them on its argv; the suite check
 * (src/bench/check.c) on every run's arguments before a suite starts. */
#include <stdio.h>
#include <string.h>

#include "wsnas/args.h"
#include "wsnas/config.h"
#include "wsnas/method.h"
#include "wsnas/search.h"

const char *ws_search_method_list(void)
{
    static char list[256];
    list[0] = '\0';
    for (int m = 0; m < WS_METHOD_COUNT; m++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", m ? " " : "",
                 ws_method_name(m));
    return list;
}

static const struct option search_opts[] = {
    {"method", required_argument, NULL, 'm'},   {"dataset", required_argument, NULL, 'd'},
    {"preset", required_argument, NULL, 'p'},   {"config", required_argument, NULL, 'c'},
    {"set", required_argument, NULL, 's'},      {"seed", required_argument, NULL, 'S'},
    {"epochs", required_argument, NULL, 'E'},   {"threads", required_argument, NULL, 'T'},
    {"data-dir", required_argument, NULL, 'D'}, {"out", required_argument, NULL, 'o'},
    {"resume", required_argument, NULL, 'r'},   {"stop-after-epoch", required_argument, NULL, 'k'},
    {"single-level", no_argument, NULL, 'L'},   {"help", no_argument, NULL, 'h'},
    {"list-keys", no_argument, NULL, 'K'},      {NULL, 0, NULL, 0}};

/* One option with its value into a. */
static int take_option(int c, const char *v, void *user, ws_error *err)
{
    ws_search_args *a = user;
    switch (c) {
    case 'm': a->method = v; return 0;
    case 'd': a->dataset = v; return 0;
    case 'p': a->preset = v; return 0;
    case 'c': a->config = v; return 0;
    case 's':
        if (a->n_sets == (int)WS_ARRAY_LEN(a->sets))
            return ws_error_set(err, WS_EINVAL, "more than %d --set options",
                                (int)WS_ARRAY_LEN(a->sets));
        a->sets[a->n_sets++] = v;
        return 0;
    case 'S': return ws_args_long("--seed", v, 0, 9007199254740991L, &a->seed, err);
    case 'E': return ws_args_long("--epochs", v, 1, 100000, &a->epochs, err);
    case 'T': return ws_args_long("--threads", v, 1, 256, &a->threads, err);
    case 'k': return ws_args_long("--stop-after-epoch", v, 1, 100000, &a->stop_after_epoch, err);
    case 'D': a->data_dir = v; return 0;
    case 'o': a->out = v; return 0;
    case 'r': a->resume = v; return 0;
    case 'L': a->single_level = 1; return 0;
    case 'K': a->list_keys = 1; return 0;
    default: return ws_error_set(err, WS_EINVAL, "unknown option");
    }
}

int ws_search_args_parse(int argc, char **argv, ws_search_args *a, ws_error *err)
{
    memset(a, 0, sizeof *a);
    a->seed = a->epochs = a->threads = -1;
    int rc = ws_args_each(argc, argv, search_opts, take_option, a, &a->help, err);
    if (rc || a->help) return rc;
    if (optind < argc)
        return ws_error_set(err, WS_EINVAL, "unexpected argument '%s'", argv[optind]);
    if (a->list_keys) return 0;
    if (a->out && a->resume)
        return ws_error_set(err, WS_EINVAL, "give --out DIR or --resume DIR, not both");
    if (!a->out && !a->resume)
        return ws_error_set(err, WS_EINVAL, "--out DIR (or --resume DIR) is required");
    if (!a->method && !a->config && !a->resume)
        return ws_error_set(err, WS_EINVAL, "--method is required (%s)", ws_search_method_list());
    return 0;
}

/* Preset and config file (or its text) of a fresh search. */
static int config_base(const ws_search_args *a, const char *config_text, ws_search_config *cfg,
                       ws_error *err)
{
    char fmethod[32] = "", fpreset[16] = "";
    int rc = 0;
    if (a->config)
        rc = config_text ? ws_config_peek_text(config_text, a->config, fmethod, fpreset, err)
                         : ws_config_peek(a->config, fmethod, fpreset, err);
    if (rc) return rc;
    const char *method = a->method ? a->method : fmethod[0] ? fmethod : NULL;
    if (!method)
        return ws_error_set(err, WS_EINVAL, "--method is required (%s)", ws_search_method_list());
    const char *preset = a->preset ? a->preset : fpreset[0] ? fpreset : "cpu";
    if ((rc = ws_config_preset(method, preset, cfg, err))) return rc;
    if (!a->config) return 0;
    return config_text ? ws_config_apply_json(cfg, config_text, a->config, err)
                       : ws_config_apply_file(cfg, a->config, err);
}

/* "key=value" from a flag. */
static int set_flag(ws_search_config *cfg, const char *key, const char *v, ws_error *err)
{
    char buf[600];
    if (!v) return 0;
    if (snprintf(buf, sizeof buf, "%s=%s", key, v) >= (int)sizeof buf)
        return ws_error_set(err, WS_EINVAL, "--%s: value too long", key);
    return ws_config_set(cfg, buf, err);
}

int ws_search_args_config(const ws_search_args *a, const char *config_text,
                          ws_search_config *cfg, ws_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    int rc;
    if (a->resume && !a->method && !a->config && !a->preset)
        rc = ws_search_load_config(a->resume, cfg, err); /* the recorded configuration */
    else
        rc = config_base(a, config_text, cfg, err);
    for (int i = 0; !rc && i < a->n_sets; i++) rc = ws_config_set(cfg, a->sets[i], err);
    if (!rc) rc = set_flag(cfg, "dataset", a->dataset, err);
    if (!rc) rc = set_flag(cfg, "data_dir", a->data_dir, err);
    if (rc) return rc;
    if (a->seed >= 0) cfg->seed = (uint64_t)a->seed;
    if (a->epochs > 0) cfg->epochs = (int)a->epochs;
    if (a->threads > 0) cfg->threads = (int)a->threads;
    if (a->single_level) cfg->single_level = 1;
    return ws_config_validate(cfg, err);
}
