#!/usr/bin/python3
"""compare_engine.py: runs build/bench/bench_engine and bench/torch_engine.py
(Debian's PyTorch) on the same configurations, thread count and number of
steps, one after the other, and prints both side by side with the ratio
PyTorch time / wsnas time (> 1: wsnas faster) as a Markdown table.

Usage: /usr/bin/python3 bench/compare_engine.py [--threads T] [--steps S]
       [--config full|small|both] [--contiguous] [--full-arch-backward]
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"  # libtcmalloc-minimal4
LINE = re.compile(r"^(small|full)\s.*?weight step ([0-9.]+) s.*?DARTS-1st iteration ([0-9.]+) s"
                  r"\s+peak RSS ([0-9.]+) MB")


def run(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"compare_engine: {' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}")
    rows, head = {}, []
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        if m:
            rows[m.group(1)] = tuple(float(m.group(i)) for i in (2, 3, 4))
        elif not rows:
            head.append(line)  # header lines (threads, GEMM, convolution kernels)
    return "; ".join(head), rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--config", choices=["full", "small", "both"], default="both")
    ap.add_argument("--contiguous", action="store_true")
    ap.add_argument("--full-arch-backward", action="store_true")
    ap.add_argument("--tcmalloc", default=TCMALLOC,
                    help="allocator preloaded for PyTorch (its fastest form; '' = none)")
    a = ap.parse_args()
    if a.threads < 1 or a.steps < 1:
        sys.exit("compare_engine: --threads and --steps must be >= 1")
    exe = os.path.join(ROOT, "build", "bench", "bench_engine")
    if not os.access(exe, os.X_OK):
        sys.exit(f"compare_engine: {exe} missing: run `make bench` first")
    common = ["--threads", str(a.threads), "--steps", str(a.steps), "--config", a.config]
    env_note = ", ".join(f"{k}={os.environ[k]}" for k in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
                         if k in os.environ) or "libgomp default"
    h1, ours = run([exe] + common)
    tcmd = [sys.executable, os.path.join(HERE, "torch_engine.py")] + common
    if not a.contiguous:
        tcmd.append("--channels-last")
    if a.full_arch_backward:
        tcmd.append("--full-arch-backward")
    # PyTorch at its own default: libgomp's spin-then-sleep (GOMP_SPINCOUNT=1000,
    # what `wsnas` uses, slows PyTorch's many small regions by about 30%)
    tenv = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    if a.tcmalloc:
        if not os.path.exists(a.tcmalloc):
            sys.exit(f"compare_engine: {a.tcmalloc} missing (Debian: libtcmalloc-minimal4), "
                     "or pass --tcmalloc ''")
        tenv["LD_PRELOAD"] = a.tcmalloc
    h2, theirs = run(tcmd, tenv)
    print(f"wsnas: {h1} (OpenMP wait: {env_note})")
    print(f"PyTorch: {h2} (OpenMP wait: libgomp default; "
          f"{'LD_PRELOAD=' + a.tcmalloc if a.tcmalloc else 'glibc malloc'})")
    print()
    print("| configuration | step | wsnas | PyTorch | PyTorch / wsnas |")
    print("|---|---|---|---|---|")
    for name in ("full", "small"):
        if name not in ours or name not in theirs:
            continue
        (w1, d1, m1), (w2, d2, m2) = ours[name], theirs[name]
        print(f"| {name} | weight step | {w1:.4f} s | {w2:.4f} s | {w2 / w1:.2f}x |")
        print(f"| {name} | DARTS-1st iteration | {d1:.4f} s | {d2:.4f} s | {d2 / d1:.2f}x |")
        print(f"| {name} | peak RSS | {m1:.0f} MB | {m2:.0f} MB | {m2 / m1:.2f}x |")


if __name__ == "__main__":
    main()
