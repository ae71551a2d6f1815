#!/usr/bin/python3
"""restore_runs.py: rebuilds the finished run directories of a `wsnas bench`
suite from its committed results (results/<suite>/*.csv), so a campaign whose
runs directory was lost (a new machine: only the repository survives) goes on
with the runs that are still missing instead of training the finished ones
again, and its report still covers every run.

For each run of RESULTS/runs.csv:
  - the run's config file is the one `wsnas bench` writes (a pass of the suite
    with a stand-in binary that runs nothing, in a scratch directory);
  - manifest.json is the one `wsnas search` itself writes at start for that
    config (started, killed before its first epoch ends), then marked complete
    after the committed number of epochs with the committed final
    architecture; start_time/end_time/host are those of the restore;
  - epochs.csv, arch_weights.csv are the committed tidy rows of that
    (method, seed) without the two key columns; eval_pairs.csv
    (arch_index,oneshot,true) the committed oneshot.csv rows;
  - the .searched and .done markers, so `wsnas bench` skips the run;
  - RESTORED.txt says where the files came from.
No checkpoint is restored (a finished run needs none). The check that this
is faithful: `wsnas bench SUITE --runs-dir RUNS --report-finished` over the
restored directories gives the committed results/ CSVs back byte for byte
(README, Reproducing NAS-Bench-201).  An existing run directory or marker is
never overwritten.

Run from the repository root:
  /usr/bin/python3 bench/tools/restore_runs.py SUITE.json RUNS_DIR [--wsnas build/wsnas]
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def die(msg):
    print(f"restore_runs: {msg}", file=sys.stderr)
    sys.exit(2)


def read_csv(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        die(f"{path}: {e.strerror}")
    if not rows:
        die(f"{path}:1: expected a header row")
    return rows[0], rows[1:]


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def rows_of(path, label, seed, need_rows=True):
    """The rows of a tidy results CSV for (label, seed), key columns dropped."""
    head, rows = read_csv(path)
    if head[:2] != ["method", "seed"]:
        die(f"{path}:1: expected the columns to start with method,seed")
    sel = [r[2:] for r in rows if r[0] == label and r[1] == str(seed)]
    if need_rows and not sel:
        die(f"{path}: no rows for {label} seed {seed}")
    return head[2:], sel


def csv_text(head, rows):
    return "".join(",".join(r) + "\n" for r in [head] + rows)


def table_archs(table, suite):
    """The official architecture strings by index, from the suite's table."""
    import h5py
    if not isinstance(table, str):
        die(f"{suite}: \"table\": expected a path")
    try:
        with h5py.File(table, "r") as f:
            return [a.decode() for a in f["archs/arch_str"][:]]
    except (OSError, KeyError) as e:
        die(f"{table}: expected a wsnas table with archs/arch_str: {e}")


def truth_of(s):
    """The truth metric the suite's `wsnas eval` scores against ('' for the default)."""
    ev = s.get("eval_args", [])
    if "--truth" in ev and ev.index("--truth") + 1 < len(ev):
        return ev[ev.index("--truth") + 1]
    return ""


def bench_commands(wsnas, suite, runs_dir):
    """{(label, seed): search argv} from `wsnas bench --dry-run`."""
    out = subprocess.run([wsnas, "bench", suite, "--runs-dir", runs_dir, "--dry-run"],
                         capture_output=True, text=True)
    if out.returncode:
        die(f"{suite}: wsnas bench --dry-run failed: {out.stderr.strip()}")
    cmds = {}
    for line in out.stdout.splitlines():
        argv = line.split()
        if len(argv) > 2 and argv[1] == "search":
            out_dir = argv[argv.index("--out") + 1]
            label = os.path.basename(os.path.dirname(out_dir))
            seed = int(argv[argv.index("--seed") + 1])
            cmds[(label, seed)] = argv
    return cmds


def write_configs(wsnas, suite, scratch):
    """Let `wsnas bench` write every run's config file (the searches fail at once)."""
    stub = os.path.join(scratch, "stub.sh")
    write_atomic(stub, "#!/bin/sh\nexit 3\n")
    os.chmod(stub, 0o755)
    subprocess.run([wsnas, "bench", suite, "--runs-dir", scratch + "/runs", "--wsnas", stub,
                    "--no-report", "-j", "1"], capture_output=True, text=True)


def fresh_manifest(argv, run_dir):
    """The manifest `wsnas search` writes at start for this run's arguments."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    path = os.path.join(run_dir, "manifest.json")
    t0 = time.time()
    while not os.path.exists(path):
        if p.poll() is not None:
            die(f"{' '.join(argv)}: exited {p.returncode} before writing its manifest: "
                f"{p.stderr.read().decode().strip()}")
        if time.time() - t0 > 600:
            os.killpg(p.pid, signal.SIGKILL)
            die(f"{' '.join(argv)}: no manifest after 600 s")
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    with open(path) as f:
        return json.load(f)


def restore_run(wsnas, argv, cfg_src, run, results, commit, arch_strs, truth):
    label, seed, dataset, epochs, arch = run
    run_dir = argv[argv.index("--out") + 1]
    cfg = argv[argv.index("--config") + 1]
    marker_done, marker_searched = run_dir + ".done", run_dir + ".searched"
    for p in (run_dir, marker_done, marker_searched):
        if os.path.exists(p):
            print(f"restore_runs: {label} seed {seed}: {p} exists, left alone")
            return False
    os.makedirs(os.path.dirname(run_dir), exist_ok=True)
    if not os.path.exists(cfg):
        shutil.copyfile(cfg_src, cfg)
    tmp_dir = run_dir + ".restoring"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    targv = list(argv)
    targv[0] = wsnas
    targv[targv.index("--out") + 1] = tmp_dir
    m = fresh_manifest(targv, tmp_dir)
    for f in os.listdir(tmp_dir):  # a search killed before its first epoch: only the manifest
        if f != "manifest.json":
            os.remove(os.path.join(tmp_dir, f))
    if m["config"]["epochs"] != epochs:
        die(f"{label} seed {seed}: runs.csv has {epochs} epochs, the suite's config "
            f"{m['config']['epochs']}")
    m["status"] = "complete"
    m["epochs_done"] = epochs
    m["end_time"] = m["start_time"]
    m["final_arch"] = arch
    write_atomic(os.path.join(tmp_dir, "manifest.json"), json.dumps(m, indent="\t") + "\n")
    head, rows = rows_of(os.path.join(results, "epochs.csv"), label, seed)
    if len(rows) != epochs:
        die(f"{results}/epochs.csv: {len(rows)} rows for {label} seed {seed}, expected {epochs}")
    write_atomic(os.path.join(tmp_dir, "epochs.csv"), csv_text(head, rows))
    aw = os.path.join(results, "arch_weights.csv")
    if os.path.exists(aw):
        head, rows = rows_of(aw, label, seed)
        write_atomic(os.path.join(tmp_dir, "arch_weights.csv"), csv_text(head, rows))
    one = os.path.join(results, "oneshot.csv")
    if os.path.exists(one):
        head, rows = rows_of(one, label, seed, need_rows=False)
        if head != ["arch_index", "oneshot", "true"]:
            die(f"{one}:1: expected method,seed,arch_index,oneshot,true")
        if rows:
            out = [[r[0], arch_strs[int(r[0])], r[1], r[2]] + ([truth] if truth else [])
                   for r in rows]
            head = ["arch_index", "arch", "oneshot", "true"] + (["truth"] if truth else [])
            write_atomic(os.path.join(tmp_dir, "eval_pairs.csv"), csv_text(head, out))
    write_atomic(os.path.join(tmp_dir, "RESTORED.txt"),
                 f"Restored by bench/tools/restore_runs.py from {results} at commit {commit}:\n"
                 "the manifest is a fresh one of this config marked complete; the CSVs are the\n"
                 "committed tidy rows. No checkpoint.\n")
    os.rename(tmp_dir, run_dir)
    write_atomic(marker_searched, "done\n")
    write_atomic(marker_done, "done\n")
    return True


def main():
    args = sys.argv[1:]
    wsnas = "build/wsnas"
    if "--wsnas" in args:
        i = args.index("--wsnas")
        if i + 1 >= len(args):
            die("--wsnas: expected a path")
        wsnas = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        die("usage: restore_runs.py SUITE.json RUNS_DIR [--wsnas build/wsnas]")
    suite, runs_dir = args
    wsnas = os.path.abspath(wsnas)
    runs_dir = os.path.abspath(runs_dir)
    try:
        with open(suite) as f:
            s = json.load(f)
    except (OSError, ValueError) as e:
        die(f"{suite}: {e}")
    results = s.get("results_dir")
    if not isinstance(results, str):
        die(f"{suite}: \"results_dir\": expected a string")
    head, rows = read_csv(os.path.join(results, "runs.csv"))
    if head != ["method", "seed", "dataset", "epochs", "arch_index", "arch", "dir"]:
        die(f"{results}/runs.csv:1: expected method,seed,dataset,epochs,arch_index,arch,dir")
    arch_strs = table_archs(s.get("table"), suite)
    truth = truth_of(s)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    cmds = bench_commands(wsnas, suite, runs_dir)
    n = 0
    with tempfile.TemporaryDirectory() as scratch:
        write_configs(wsnas, suite, scratch)
        scratch_cmds = bench_commands(wsnas, suite, scratch + "/runs")
        for lineno, r in enumerate(rows, start=2):
            if len(r) != 7:
                die(f"{results}/runs.csv:{lineno}: expected 7 fields")
            label, seed, dataset, epochs, _, arch, _ = r
            key = (label, int(seed))
            if key not in cmds:
                die(f"{results}/runs.csv:{lineno}: {label} seed {seed} is not a run of {suite}")
            cfg_src = scratch_cmds[key][scratch_cmds[key].index("--config") + 1]
            run = (label, int(seed), dataset, int(epochs), arch)
            if restore_run(wsnas, cmds[key], cfg_src, run, results, commit, arch_strs, truth):
                n += 1
                print(f"restore_runs: {label} seed {seed}: restored")
    print(f"restore_runs: {n} of {len(rows)} runs restored into {runs_dir}")


if __name__ == "__main__":
    main()
