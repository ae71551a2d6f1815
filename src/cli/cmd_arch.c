/* cmd_arch.c: `wsnas arch STRING|INDEX`: index, string, op codes,
 * isomorphism class, parameter count and multiply-adds of one architecture. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "wsnas/space.h"

static void arch_usage(FILE *f)
{
    fprintf(f, "usage: wsnas arch STRING|INDEX [options]\n"
               "Describes one NB201 architecture, given as its official string\n"
               "(|op~0|+|op~0|op~1|+|op~0|op~1|op~2|) or its official index 0..15624.\n"
               "Costs are for the NB201 network built around the cell.\n\n"
               "options:\n"
               "  --C N              stage-1 channels (default 16)\n"
               "  --N N              cells per stage (default 5)\n"
               "  --classes N        output classes (default 10)\n"
               "  --in-channels N    input channels (default 3)\n"
               "  --in-size N        input side, multiple of 4 (default 32)\n"
               "  --cell-affine 0|1  BN gamma/beta inside cell ops (default 1, standalone)\n"
               "  --conv-bias 0|1    bias on cell convs (default 0, as NB201)\n"
               "  -h, --help         this help\n");
}

int ws_cmd_arch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"C", required_argument, NULL, 'C'},
        {"N", required_argument, NULL, 'N'},
        {"classes", required_argument, NULL, 'k'},
        {"in-channels", required_argument, NULL, 'i'},
        {"in-size", required_argument, NULL, 's'},
        {"cell-affine", required_argument, NULL, 'a'},
        {"conv-bias", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ws_macro m = ws_macro_nb201(10);
    int c;
    long v;
    optind = 1;
    int nopt = ws_cli_hold_negatives(argc, argv, "h", opts); /* `wsnas arch -1`: an index */
    while ((c = ws_cli_getopt(nopt, argv, "h", opts)) != -1) {
        const char *name = NULL;
        long lo = 1, hi = 4096;
        int *dst = NULL;
        switch (c) {
        case 'C': name = "--C", dst = &m.C; break;
        case 'N': name = "--N", dst = &m.N, hi = 1000; break;
        case 'k': name = "--classes", dst = &m.classes, hi = 1000000; break;
        case 'i': name = "--in-channels", dst = &m.in_channels; break;
        case 's': name = "--in-size", dst = &m.in_size, lo = 4; break;
        case 'a': name = "--cell-affine", dst = &m.cell_bn_affine, lo = 0, hi = 1; break;
        case 'b': name = "--conv-bias", dst = &m.conv_bias, lo = 0, hi = 1; break;
        case 'h': arch_usage(stdout); return 0;
        default: return 2;
        }
        if (ws_cli_parse_long(name, optarg, lo, hi, &v)) return 2;
        *dst = (int)v;
    }
    if (optind != argc - 1)
        return ws_cli_usage_error("expected one architecture string or index, got %d",
                                  argc - optind);
    ws_error err = {0};
    if (ws_macro_check(&m, &err)) return ws_cli_fail("arch", &err);
    ws_space *sp = ws_space_alloc();
    if (!sp) {
        ws_error_set(&err, WS_ENOMEM, "out of memory");
        return ws_cli_fail("arch", &err);
    }
    int index;
    if (ws_space_lookup(sp, argv[optind], &index, &err)) {
        ws_space_free(sp);
        return ws_cli_fail("arch", &err);
    }
    ws_arch a = ws_space_arch(sp, index);
    char str[WS_ARCH_STR_MAX], digits[WS_EDGES + 1], iso[WS_ISO_STR_MAX];
    ws_arch_format(&a, str);
    ws_arch_digits(&a, digits);
    WS_ASSERT(ws_arch_iso_string(&a, iso, sizeof iso) >= 0);
    printf("index        %d\n", index);
    printf("arch         %s\n", str);
    printf("ops          %s  (edges 1<-0 2<-0 2<-1 3<-0 3<-1 3<-2; 0=none 1=skip_connect "
           "2=nor_conv_1x1 3=nor_conv_3x3 4=avg_pool_3x3)\n",
           digits);
    printf("iso_string   %s\n", iso);
    printf("iso_class    %d  (smallest index of its %d isomorphic architectures)\n",
           ws_space_iso_class(sp, index), ws_space_iso_size(sp, index));
    printf("network      C=%d N=%d classes=%d input %dx%dx%d cell_affine=%d conv_bias=%d\n", m.C,
           m.N, m.classes, m.in_channels, m.in_size, m.in_size, m.cell_bn_affine, m.conv_bias);
    printf("params       %lld\n", (long long)ws_arch_param_count(&a, &m));
    printf("mult_adds    %lld  (per image; convs and linear, as AutoDL flop_benchmark)\n",
           (long long)ws_arch_flops(&a, &m));
    ws_space_free(sp);
    return 0;
}
