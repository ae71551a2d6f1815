#!/usr/bin/python3
"""compare_engine.py: runs build/bench/bench_engine and bench/torch_engine.py
(Debian's PyTorch) on the same configurations, thread count and number of
steps, and prints both side by side with the ratio PyTorch time / wsnas time
(> 1: wsnas faster) as a Markdown table.  Each configuration runs in its own
pair of processes, wsnas then PyTorch, so peak RSS is the configuration's own
and a change of machine load between configurations hits both sides.

Usage: /usr/bin/python3 bench/compare_engine.py [--threads T] [--steps S]
       [--config all|both|NAME[,NAME...]] [--contiguous] [--full-arch-backward]
       [--score NAME[,NAME...]|none] [--score-archs K]
--score (default full): one-shot scoring of K (default 32) isomorphism classes
spread over the 6,466 (build/bench/bench_eval --config NAME beside
bench/torch_score.py on the same classes), per class and projected to all.
--tablebuild-archs K (default 8; 0 = off): table-build throughput, K classes
trained with the committed Fashion-MNIST recipe (build/bench/bench_tablebuild
beside bench/torch_tablebuild.py), one thread each (--tablebuild-threads), as
`wsnas table build` runs one process per core.
wsnas runs with the environment given (make bench-compare: GOMP_SPINCOUNT=1000,
what the wsnas CLI sets), PyTorch with libgomp's default wait policy;
PyTorch runs channels_last with tcmalloc preloaded (issue 3's fastest form)
unless --contiguous / --tcmalloc ''; its architecture step takes
the gradient of alpha alone (autograd.grad), as wsnas does, unless
--full-arch-backward (AutoDL's loss.backward()).  Measure on an idle machine.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"  # libtcmalloc-minimal4
CONFIGS = ["small", "c4s16", "c8s16", "c16s16", "full"]  # bench_engine.c's order
# (row label, pattern in a result line, unit)
FIELDS = [("weight step", r"weight step ([0-9.]+) s", "s"),
          ("DARTS-1st iteration", r"DARTS-1st iteration ([0-9.]+) s", "s"),
          ("GDAS iteration (single path)", r"GDAS iteration ([0-9.]+) s", "s"),
          ("RS-WS step (single path)", r"RS-WS step ([0-9.]+) s", "s"),
          ("peak RSS", r"peak RSS ([0-9.]+) MB", "MB")]
LINE = re.compile(r"^(\w+)\s+(C=\d+ N=\d+ B=\d+ \d+x\d+x\d+)\s")


def run(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"compare_engine: {' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}")
    rows, head = {}, []
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        if m:
            vals = {}
            for label, pat, _ in FIELDS:
                f = re.search(pat, line)
                if f:
                    vals[label] = float(f.group(1))
            rows[m.group(1)] = (m.group(2), vals)
        elif not rows:
            head.append(line)  # header lines (threads, GEMM, convolution kernels)
    return "; ".join(head), rows


SCORE_LINE = re.compile(r"^(\w+)\s.*scoring (\d+) classes.*?([0-9.]+) s per class.*?"
                        r"peak RSS ([0-9.]+) MB")


def run_score(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"compare_engine: {' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}")
    for line in p.stdout.splitlines():
        m = SCORE_LINE.match(line)
        if m:
            return int(m.group(2)), float(m.group(3)), float(m.group(4))
    sys.exit(f"compare_engine: no result line from {' '.join(cmd)}:\n{p.stdout}")


TB_LINE = re.compile(r"^tablebuild (\d+) classes\s+([0-9.]+) s per architecture")


def run_tb(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"compare_engine: {' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}")
    for line in p.stdout.splitlines():
        m = TB_LINE.match(line)
        if m:
            return int(m.group(1)), float(m.group(2))
    sys.exit(f"compare_engine: no result line from {' '.join(cmd)}:\n{p.stdout}")


def configs(s):
    if s == "all":
        return CONFIGS
    if s == "both":
        s = "small,full"
    names = s.split(",")
    for n in names:
        if n not in CONFIGS:
            sys.exit(f"compare_engine: --config '{n}': expected all, both or a list of "
                     f"{' '.join(CONFIGS)}")
    return [n for n in CONFIGS if n in names]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--config", default="all")
    ap.add_argument("--contiguous", action="store_true")
    ap.add_argument("--full-arch-backward", action="store_true")
    ap.add_argument("--score", default="full")
    ap.add_argument("--score-archs", type=int, default=32)
    ap.add_argument("--tablebuild-archs", type=int, default=8)
    ap.add_argument("--tablebuild-threads", type=int, default=1)
    ap.add_argument("--tcmalloc", default=TCMALLOC,
                    help="allocator preloaded for PyTorch (its fastest form; '' = none)")
    a = ap.parse_args()
    if a.threads < 1 or a.steps < 1:
        sys.exit("compare_engine: --threads and --steps must be >= 1")
    names = configs(a.config) if a.config != "none" else []
    snames = [] if a.score == "none" else a.score.split(",")
    for n in snames:
        if n not in CONFIGS[1:]:
            sys.exit(f"compare_engine: --score '{n}': expected none or a list of "
                     f"{' '.join(CONFIGS[1:])}")
    exe = os.path.join(ROOT, "build", "bench", "bench_engine")
    if not os.access(exe, os.X_OK):
        sys.exit(f"compare_engine: {exe} missing: run `make bench` first")
    env_note = ", ".join(f"{k}={os.environ[k]}" for k in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
                         if k in os.environ) or "libgomp default"
    tflags = [] if a.contiguous else ["--channels-last"]
    if a.full_arch_backward:
        tflags.append("--full-arch-backward")
    # PyTorch at its own default: libgomp's spin-then-sleep (GOMP_SPINCOUNT=1000,
    # what `wsnas` uses, slows PyTorch's many small regions by about 30%)
    tenv = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    if a.tcmalloc:
        if not os.path.exists(a.tcmalloc):
            sys.exit(f"compare_engine: {a.tcmalloc} missing (Debian: libtcmalloc-minimal4), "
                     "or pass --tcmalloc ''")
        tenv["LD_PRELOAD"] = a.tcmalloc
    load0, t0 = loadavg(), time.time()
    ours, theirs, h1, h2 = {}, {}, "", ""
    for n in names:
        common = ["--threads", str(a.threads), "--steps", str(a.steps), "--config", n]
        h1, r1 = run([exe] + common)
        h2, r2 = run([sys.executable, os.path.join(HERE, "torch_engine.py")] + common + tflags,
                     tenv)
        ours.update(r1)
        theirs.update(r2)
    scores = {}
    sexe = os.path.join(ROOT, "build", "bench", "bench_eval")
    for n in snames:
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as lst:
            r1 = run_score([sexe, "--config", n, "--archs", str(a.score_archs), "--threads",
                            str(a.threads), "--list", lst.name])
            r2 = run_score([sys.executable, os.path.join(HERE, "torch_score.py"), "--config", n,
                            "--list", lst.name, "--threads", str(a.threads)] +
                           ([] if a.contiguous else ["--channels-last"]), tenv)
        scores[n] = (r1, r2)
    tb = None
    if a.tablebuild_archs > 0:
        texe = os.path.join(ROOT, "build", "bench", "bench_tablebuild")
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as lst:
            tt = str(a.tablebuild_threads)
            r1 = run_tb([texe, "--archs", str(a.tablebuild_archs), "--threads", tt, "--list",
                         lst.name])
            r2 = run_tb([sys.executable, os.path.join(HERE, "torch_tablebuild.py"), "--list",
                         lst.name, "--threads", tt] + ([] if a.contiguous else ["--channels-last"]),
                        tenv)
        tb = (r1, r2)
    print(f"wsnas: {h1} (OpenMP wait: {env_note})")
    print(f"PyTorch: {h2} (OpenMP wait: libgomp default; "
          f"{'LD_PRELOAD=' + a.tcmalloc if a.tcmalloc else 'glibc malloc'})")
    print(f"load average {load0} at the start, {loadavg()} at the end "
          f"({time.time() - t0:.0f} s)")
    print()
    print("| configuration | step | wsnas | PyTorch | PyTorch / wsnas |")
    print("|---|---|---|---|---|")
    for n in names:
        if n not in ours or n not in theirs:
            continue
        shape, v1 = ours[n]
        v2 = theirs[n][1]
        first = True
        for label, _, unit in FIELDS:
            if label not in v1 or label not in v2:
                continue
            x1, x2 = v1[label], v2[label]
            fmt = "{:.0f}" if unit == "MB" else "{:.4f}"
            cfg = f"{n} {shape}" if first else n
            first = False
            print(f"| {cfg} | {label} | {fmt.format(x1)} {unit} | {fmt.format(x2)} {unit} | "
                  f"{x2 / x1:.2f}x |")
    for n, ((k, s1, m1), (_, s2, m2)) in scores.items():
        print(f"| {n} | one-shot scoring, per class ({k} classes, 256 images, BN batch) | "
              f"{s1:.4f} s | {s2:.4f} s | {s2 / s1:.2f}x |")
        print(f"| {n} | scoring all 6,466 classes (projected) | {s1 * 6466 / 60:.1f} min | "
              f"{s2 * 6466 / 60:.1f} min | {s2 / s1:.2f}x |")
        print(f"| {n} | scoring peak RSS | {m1:.0f} MB | {m2:.0f} MB | {m2 / m1:.2f}x |")
    if tb:
        (k, t1), (_, t2) = tb
        print(f"| table build, Fashion-MNIST recipe (C=8 N=1 16x16, 4 epochs of 2000, 1 seed; "
              f"{k} classes, {a.tablebuild_threads} thread) | architectures per hour | "
              f"{3600 / t1:.0f} | {3600 / t2:.0f} | {t2 / t1:.2f}x |")


if __name__ == "__main__":
    main()
