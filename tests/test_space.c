/* test_space.c: NB201 search space: string parsing and formatting, the
 * official index (against all rows of the shared merged CSV), isomorphism
 * classes (against NATS-Bench's UniqueString column) and network costs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "wsnas/rng.h"
#include "wsnas/space.h"

static const char *RESNET =
    "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";

/* Opens $WSNAS_SHARED/<rel>, or skips the test if absent. */
static FILE *open_shared(const char *rel)
{
    const char *dir = wsfx_shared_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "", rel);
    FILE *f = dir ? fopen(path, "r") : NULL;
    if (!f) cr_skip_test("%s absent", path);
    return f;
}

/* Splits line in place at commas into at most max fields; returns count. */
static int split_csv(char *line, char **field, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        field[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

Test(space, tables_and_names)
{
    cr_assert_str_eq(ws_op_names[WS_OP_NONE], "none");
    cr_assert_str_eq(ws_op_names[WS_OP_SKIP], "skip_connect");
    cr_assert_str_eq(ws_op_names[WS_OP_CONV1X1], "nor_conv_1x1");
    cr_assert_str_eq(ws_op_names[WS_OP_CONV3X3], "nor_conv_3x3");
    cr_assert_str_eq(ws_op_names[WS_OP_AVGPOOL], "avg_pool_3x3");
    for (int e = 0; e < WS_EDGES; e++) cr_assert_lt(ws_edge_src[e], ws_edge_dst[e]);
}

Test(space, parse_format_roundtrip_all)
{
    char buf[WS_ARCH_STR_MAX], digits[WS_EDGES + 1];
    for (int r = 0; r < WS_ARCH_COUNT; r++) {
        ws_arch a = ws_arch_from_product_rank(r), b;
        cr_assert_eq(ws_arch_product_rank(&a), r);
        ws_arch_format(&a, buf);
        ws_error err = {0};
        cr_assert_eq(ws_arch_parse(buf, &b, &err), 0, "%s: %s", buf, err.msg);
        cr_assert_eq(memcmp(a.op, b.op, WS_EDGES), 0);
        ws_arch_digits(&a, digits);
        for (int e = 0; e < WS_EDGES; e++) cr_assert_eq(digits[e] - '0', a.op[e]);
    }
    ws_arch a;
    cr_assert_eq(ws_arch_parse(RESNET, &a, NULL), 0);
    ws_arch_digits(&a, digits);
    cr_assert_str_eq(digits, "303101");
}

Test(space, parse_rejects_bad_strings)
{
    static const struct {
        const char *s;
        const char *msg; /* a substring the error must contain */
    } bad[] = {
        {"", "offset 0: expected '|', got end of string"},
        {"|", "offset 1: expected an op name"},
        {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|",
         "offset 80: expected an op name"},
        {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_"
         "connect~2",
         "offset 94: expected '|', got end of string"},
        {"|nor_conv_3x3~1|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 14: expected input node index 0"},
        {"|nor_conv_3x3~0|+|none~1|nor_conv_3x3~0|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 23: expected input node index 0"},
        {"|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~12|",
         "expected input node index 2"},
        {"|conv_5x5~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 1: expected an op name"},
        {"|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|x",
         "offset 79: expected end of string, got 'x'"},
        {"|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|+|none~0|",
         "expected end of string"},
        {"|nor_conv_3x3~0||none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 16: expected '+'"},
        {"|nor_conv_3x3~0|+|none~0|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 25: expected an op name"},
        {"|nor_conv_3x3 ~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 1"},
        {" |nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 0: expected '|'"},
        {"|nor_conv_3x3~a|", "offset 14: expected input node index 0"},
        {"|nor_conv_3x3~", "offset 14: expected input node index 0 (edge 1<-0), got end of string"},
        {"|none", "offset 1: expected an op name"},
        {"12345", "offset 0"},
        {"|NOR_CONV_3X3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
         "offset 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ws_arch a = {{9, 9, 9, 9, 9, 9}};
        ws_error err = {0};
        int rc = ws_arch_parse(bad[i].s, &a, &err);
        cr_expect_eq(rc, WS_EINVAL, "'%s' accepted", bad[i].s);
        cr_expect_eq(err.code, WS_EINVAL);
        cr_expect(strstr(err.msg, bad[i].msg) != NULL, "'%s': message '%s' lacks '%s'", bad[i].s,
                  err.msg, bad[i].msg);
        cr_expect_eq(a.op[0], 9, "output written on failure");
    }
    /* every truncation of a valid string is rejected, without a crash */
    for (size_t l = 0; l < strlen(RESNET); l++) {
        char buf[WS_ARCH_STR_MAX];
        memcpy(buf, RESNET, l);
        buf[l] = '\0';
        ws_arch a;
        ws_error err = {0};
        cr_expect_eq(ws_arch_parse(buf, &a, &err), WS_EINVAL, "prefix %zu accepted", l);
        cr_expect(strstr(err.msg, "offset") != NULL);
    }
    cr_expect_eq(ws_arch_parse(NULL, NULL, NULL), WS_EINVAL);
}

Test(space, official_fixed_points)
{
    ws_space *sp = ws_space_alloc();
    cr_assert_not_null(sp);
    static const struct {
        int index;
        const char *s;
    } fixed[] = {
        {0, "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_"
            "connect~2|"},
        {9, "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"},
        {123,
         "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"},
        {11472, "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"},
        /* all-3x3 (SOURCE.md names 9930, the CIFAR-100 optimum; the CSV says 1462) */
        {1462, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
               "nor_conv_3x3~2|"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        char buf[WS_ARCH_STR_MAX];
        ws_arch a = ws_space_arch(sp, fixed[i].index);
        ws_arch_format(&a, buf);
        cr_expect_str_eq(buf, fixed[i].s, "index %d", fixed[i].index);
        int idx = -1;
        cr_expect_eq(ws_space_lookup(sp, fixed[i].s, &idx, NULL), 0);
        cr_expect_eq(idx, fixed[i].index);
    }
    int idx = -1;
    ws_error err = {0};
    cr_expect_eq(ws_space_lookup(sp, "15625", &idx, &err), WS_ERANGE);
    cr_expect(strstr(err.msg, "out of range") != NULL, "%s", err.msg);
    cr_expect_eq(ws_space_lookup(sp, "12x", &idx, &err), WS_EINVAL);
    cr_expect_eq(ws_space_lookup(sp, "", &idx, &err), WS_EINVAL);
    cr_expect_eq(ws_space_lookup(sp, "42", &idx, &err), 0);
    cr_expect_eq(idx, 42);
    ws_space_free(sp);
    ws_space_free(NULL);
}

Test(space, index_matches_merged_csv)
{
    FILE *f = open_shared("nb201/nb201_merged.csv");
    ws_space *sp = ws_space_alloc();
    cr_assert_not_null(sp);
    static char line[8192];
    cr_assert_not_null(fgets(line, sizeof line, f));
    int rows = 0;
    static unsigned char seen[WS_ARCH_COUNT];
    memset(seen, 0, sizeof seen);
    while (fgets(line, sizeof line, f)) {
        char *fld[4];
        cr_assert_geq(split_csv(line, fld, 4), 3);
        int index = atoi(fld[0]);
        cr_assert_eq(index, rows, "row %d has index %d", rows, index);
        char buf[WS_ARCH_STR_MAX], digits[WS_EDGES + 1];
        ws_arch a = ws_space_arch(sp, index), b;
        ws_arch_format(&a, buf);
        cr_assert_str_eq(buf, fld[1], "index %d", index);
        ws_arch_digits(&a, digits);
        cr_assert_str_eq(digits, fld[2], "index %d", index);
        cr_assert_eq(ws_arch_parse(fld[1], &b, NULL), 0);
        cr_assert_eq(ws_space_index(sp, &b), index);
        seen[ws_arch_product_rank(&a)]++;
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, WS_ARCH_COUNT);
    for (int r = 0; r < WS_ARCH_COUNT; r++) cr_assert_eq(seen[r], 1);
    ws_space_free(sp);
}

Test(space, iso_string_matches_nats_bench)
{
    FILE *f = open_shared("nb201/raw/nats-bench-landscape/nats_bench.csv");
    ws_space *sp = ws_space_alloc();
    cr_assert_not_null(sp);
    static char line[8192];
    cr_assert_not_null(fgets(line, sizeof line, f));
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[6];
        cr_assert_eq(split_csv(line, fld, 6), 5);
        ws_arch a = ws_space_arch(sp, rows);
        char buf[WS_ARCH_STR_MAX], iso[WS_ISO_STR_MAX];
        ws_arch_format(&a, buf);
        cr_assert_str_eq(buf, fld[3], "index %d", rows);
        int len = ws_arch_iso_string(&a, iso, sizeof iso);
        cr_assert_eq(len, (int)strlen(fld[4]));
        cr_assert_str_eq(iso, fld[4], "index %d", rows);
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, WS_ARCH_COUNT);
    ws_space_free(sp);
}

Test(space, iso_classes)
{
    ws_space *sp = ws_space_alloc();
    cr_assert_not_null(sp);
    cr_assert_eq(ws_space_iso_count(sp), WS_ISO_CLASSES);
    int total = 0, members[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        int c = ws_space_iso_class(sp, i);
        cr_assert_leq(c, i);
        cr_assert_eq(ws_space_iso_class(sp, c), c);
        if (c != i) continue;
        int n = ws_space_iso_members(sp, i, members, WS_ARCH_COUNT);
        cr_assert_eq(n, ws_space_iso_size(sp, i));
        char s0[WS_ISO_STR_MAX], s1[WS_ISO_STR_MAX];
        ws_arch a0 = ws_space_arch(sp, members[0]);
        ws_arch_iso_string(&a0, s0, sizeof s0);
        for (int k = 0; k < n; k++) {
            if (k) cr_assert_gt(members[k], members[k - 1]);
            cr_assert_eq(ws_space_iso_class(sp, members[k]), i);
            ws_arch ak = ws_space_arch(sp, members[k]);
            ws_arch_iso_string(&ak, s1, sizeof s1);
            cr_assert_str_eq(s0, s1);
        }
        total += n;
    }
    cr_assert_eq(total, WS_ARCH_COUNT);
    /* a small buffer is refused, not overrun */
    char small[4] = "xyz";
    ws_arch a = ws_space_arch(sp, 1462);
    cr_assert_eq(ws_arch_iso_string(&a, small, sizeof small), -1);
    cr_assert_str_eq(small, "");
    ws_space_free(sp);
}

Test(space, supernet_param_counts)
{
    /* methods.md 1.1: bias-free convs, affine=False cell BN */
    static const struct {
        int C, classes;
        int64_t params;
    } ref[] = {{16, 10, 1686106}, {16, 100, 1691956}, {16, 120, 1693256}, {24, 10, 3792514}};
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        ws_macro m = ws_macro_nb201(ref[i].classes);
        m.C = ref[i].C;
        m.cell_bn_affine = 0;
        cr_expect_eq(ws_arch_param_count(NULL, &m), ref[i].params, "C=%d classes=%d: %lld",
                     ref[i].C, ref[i].classes, (long long)ws_arch_param_count(NULL, &m));
    }
    /* supernet MACs: both convs on all 90 edges (3 stages x 5 cells x 6);
     * C^2 HW is the same in every stage; + stem, reductions, linear */
    ws_macro m = ws_macro_nb201(10);
    m.cell_bn_affine = 0;
    cr_expect_eq(ws_arch_flops(NULL, &m), 7783050 + 90 * (262144LL + 2359296LL));
    m.conv_bias = 1;
    cr_expect_eq(ws_arch_param_count(NULL, &m), 1692826); /* later AutoDL HEAD, methods.md 1.1 */
    m.in_size = 30;
    cr_expect_eq(ws_arch_param_count(NULL, &m), -1);
    ws_error err = {0};
    cr_expect_eq(ws_macro_check(&m, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "in_size = 30") != NULL);
}

Test(space, standalone_costs)
{
    /* SOURCE.md caveat 6: params = 73,306 + 28,000 n(1x1) + 243,040 n(3x3) on
     * CIFAR-10 (5 sum_C (C^2+2C) and 5 sum_C (9C^2+2C) for C = 16, 32, 64). */
    ws_space *sp = ws_space_alloc();
    cr_assert_not_null(sp);
    ws_macro m10 = ws_macro_nb201(10), m100 = ws_macro_nb201(100), m120 = ws_macro_nb201(120);
    m120.in_size = 16;
    for (int i = 0; i < WS_ARCH_COUNT; i += 7) {
        ws_arch a = ws_space_arch(sp, i);
        int n1 = 0, n3 = 0;
        for (int e = 0; e < WS_EDGES; e++) {
            n1 += a.op[e] == WS_OP_CONV1X1;
            n3 += a.op[e] == WS_OP_CONV3X3;
        }
        cr_assert_eq(ws_arch_param_count(&a, &m10), 73306 + 28000 * n1 + 243040 * n3);
        cr_assert_eq(ws_arch_param_count(&a, &m100), 79156 + 28000 * n1 + 243040 * n3);
        cr_assert_eq(ws_arch_param_count(&a, &m120), 80456 + 28000 * n1 + 243040 * n3);
        /* MACs: every conv of a stage costs the same per cell (C^2 HW constant) */
        int64_t base = ws_arch_flops(&a, &m10) - n1 * 5 * 3 * 262144LL - n3 * 5 * 3 * 2359296LL;
        cr_assert_eq(base, 7783050, "index %d: base %lld", i, (long long)base);
    }
    ws_arch all3 = ws_space_arch(sp, 1462);
    /* 18 stages*edges of 9 C^2 HW, + stem, reductions and the linear layer */
    cr_expect_eq(ws_arch_flops(&all3, &m10), 7783050 + 90 * 2359296LL);
    /* 16x16 input: every conv costs a quarter; linear 64*120 + 120 */
    cr_expect_eq(ws_arch_flops(&all3, &m120), (7783050 - 650 + 90 * 2359296LL) / 4 + 7800);
    ws_space_free(sp);
}

Test(space, parse_survives_random_edits)
{
    /* Random single edits of valid strings: the parser never crashes, every
     * rejection names an offset inside the string, and every accepted string
     * formats back to itself (so no two spellings of one architecture). */
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 2024, WS_STREAM_SELECT);
    static const char alphabet[] = "|+~0123456789_abcnoprstvxkip ";
    int accepted = 0;
    for (int it = 0; it < 20000; it++) {
        ws_arch a = ws_arch_from_product_rank((int)ws_pcg32_bounded(&rng, WS_ARCH_COUNT)), b;
        char s[WS_ARCH_STR_MAX + 8], back[WS_ARCH_STR_MAX];
        ws_arch_format(&a, s);
        size_t len = strlen(s), pos = ws_pcg32_bounded(&rng, (uint32_t)len);
        char c = alphabet[ws_pcg32_bounded(&rng, sizeof alphabet - 1)];
        switch (ws_pcg32_bounded(&rng, 4)) {
        case 0: memmove(s + pos, s + pos + 1, len - pos); break; /* delete */
        case 1:
            memmove(s + pos + 1, s + pos, len - pos + 1);
            s[pos] = c;
            break;                     /* insert */
        case 2: s[pos] = c; break;     /* replace */
        default: s[pos] = '\0'; break; /* truncate */
        }
        ws_error err = {0};
        if (ws_arch_parse(s, &b, &err) == 0) {
            ws_arch_format(&b, back);
            cr_assert_str_eq(back, s, "accepted '%s' formats as '%s'", s, back);
            accepted++;
        } else {
            size_t off = 0;
            cr_assert_eq(sscanf(err.msg, "arch string offset %zu:", &off), 1, "%s", err.msg);
            cr_assert_leq(off, strlen(s), "%s: %s", s, err.msg);
        }
    }
    cr_expect_gt(accepted, 0, "some edits (e.g. op digit swaps) give valid strings");
    char longs[20000];
    memset(longs, '|', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    ws_arch b;
    cr_expect_eq(ws_arch_parse(longs, &b, NULL), WS_EINVAL);
}
