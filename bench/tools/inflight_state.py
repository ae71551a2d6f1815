#!/usr/bin/python3
"""inflight_state.py: carries a `wsnas bench` suite's unfinished runs across a
change of machine, through the repository (the only thing that survives one).

  save    SUITE.json RUNS_DIR [--wsnas BIN]
                                every run of the suite that has a checkpoint but
                                no .done marker is packed, as `wsnas search
                                --resume` needs it (checkpoint.bin,
                                manifest.json, epochs.csv, arch_weights.csv and
                                the run's config file; PC-DARTS: edge_weights.csv), into
                                RESULTS/inflight/<dataset>.<label>.seed<k>.tar.gz
                                (written via a temp file, fsynced, renamed),
                                with ENGINE.txt: `BIN --version` (default
                                build/wsnas: the binary's commit, GEMM and
                                convolution kernels) and the CPU's model and
                                vector extensions; packs of runs that have
                                finished since are removed
  restore SUITE.json RUNS_DIR [--wsnas BIN]
                                unpacks every pack whose run directory does not
                                exist yet (ENGINE.txt beside it as
                                seedK.engine.txt); `wsnas bench` then resumes
                                the run from its checkpoint.  Where this
                                machine's engine (BIN --version, the CPU's
                                vector extensions) differs from the one that
                                wrote the checkpoint, it says so: the resumed
                                run continues the same protocol, not the same
                                bits (the kernels' summation orders differ)

Each pack is checked on save (the tar lists exactly those files, the
checkpoint's bytes equal the run's) and on restore (member names, no paths
outside the run). Finished runs travel as committed results instead
(bench/tools/restore_runs.py).

Run from the repository root:
  /usr/bin/python3 bench/tools/inflight_state.py save|restore SUITE.json RUNS_DIR [--wsnas BIN]
"""
import glob
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile

# edge_weights.csv: PC-DARTS's edge-normalisation weights (a resume needs
# every per-epoch file the run has)
FILES = ("checkpoint.bin", "manifest.json", "epochs.csv", "arch_weights.csv", "edge_weights.csv")
ENGINE = "ENGINE.txt"
# the engine lines of `wsnas --version` that decide a run's bits
ENGINE_KEYS = ("wsnas ", "GEMM:", "convolutions:", "cpu vector extensions:")


def die(msg):
    print(f"inflight_state: {msg}", file=sys.stderr)
    sys.exit(2)


def load_suite(path):
    try:
        with open(path) as f:
            s = json.load(f)
    except (OSError, ValueError) as e:
        die(f"{path}: {e}")
    if not isinstance(s.get("results_dir"), str):
        die(f"{path}: \"results_dir\": expected a string")
    return s


def runs_of(runs_dir):
    """(dataset, label, seed, run_dir) of every run directory under RUNS_DIR."""
    out = []
    for d in sorted(glob.glob(os.path.join(runs_dir, "*", "*", "seed*"))):
        m = re.fullmatch(r"seed(\d+)", os.path.basename(d))
        if m and os.path.isdir(d):
            label = os.path.basename(os.path.dirname(d))
            dataset = os.path.basename(os.path.dirname(os.path.dirname(d)))
            out.append((dataset, label, int(m.group(1)), d))
    return out


def pack_name(dataset, label, seed):
    return f"{dataset}.{label}.seed{seed}.tar.gz"


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def engine_text(wsnas):
    """`wsnas --version` and the CPU's model and vector extensions."""
    try:
        r = subprocess.run([wsnas, "--version"], capture_output=True, text=True, timeout=60)
    except OSError as e:
        die(f"{wsnas}: {e}")
    if r.returncode != 0 or not r.stdout.startswith("wsnas "):
        die(f"{wsnas} --version: expected 'wsnas VERSION ...', got status {r.returncode}")
    model, flags = "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k.strip() == "model name" and model == "unknown":
                    model = v.strip()
                if k.strip() == "flags" and not flags:
                    flags = sorted(x for x in v.split() if re.fullmatch(r"avx\w*|fma|f16c", x))
    except OSError:
        pass
    return (r.stdout + f"cpu model: {model}\n"
            f"cpu vector extensions: {' '.join(flags) or 'none'}\n")


def engine_lines(text):
    return [ln for ln in text.splitlines() if ln.startswith(ENGINE_KEYS)]


def save(suite, runs_dir, wsnas):
    s = load_suite(suite)
    engine = engine_text(wsnas).encode()
    out_dir = os.path.join(s["results_dir"], "inflight")
    os.makedirs(out_dir, exist_ok=True)
    kept = set()
    for dataset, label, seed, d in runs_of(runs_dir):
        if os.path.exists(d + ".done") or not os.path.exists(os.path.join(d, "checkpoint.bin")):
            continue
        name = pack_name(dataset, label, seed)
        path = os.path.join(out_dir, name)
        tmp = path + ".tmp"
        members = [(os.path.join(d, f), f"seed{seed}/{f}") for f in FILES
                   if os.path.exists(os.path.join(d, f))]
        if os.path.exists(d + ".json"):
            members.append((d + ".json", f"seed{seed}.json"))
        with open(tmp, "wb") as raw:
            # fixed mtimes and owners: the same run state packs to the same bytes
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as t:
                for src, arc in members:
                    info = t.gettarinfo(src, arc)
                    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                    with open(src, "rb") as f:
                        t.addfile(info, f)
                info = tarfile.TarInfo(f"seed{seed}.{ENGINE}")
                info.size, info.mode = len(engine), 0o644
                t.addfile(info, io.BytesIO(engine))
            raw.flush()
            os.fsync(raw.fileno())
        with tarfile.open(tmp) as t:
            names = t.getnames()
            ck = t.extractfile(f"seed{seed}/checkpoint.bin").read()
        if names != [a for _, a in members] + [f"seed{seed}.{ENGINE}"] or \
                hashlib.sha256(ck).hexdigest() != sha(os.path.join(d, "checkpoint.bin")):
            os.remove(tmp)
            die(f"{tmp}: read back differs from {d}")
        os.rename(tmp, path)
        kept.add(name)
        with open(os.path.join(d, "manifest.json")) as f:
            m = json.load(f)
        with open(os.path.join(d, "epochs.csv")) as f:
            done = max(sum(1 for _ in f) - 1, 0)  # rows after the header (the
            # manifest's epochs_done is only written when the run stops)
        print(f"inflight_state: {name}: {done} of "
              f"{m.get('config', {}).get('epochs')} epochs, {os.path.getsize(path)} bytes")
    for p in glob.glob(os.path.join(out_dir, "*.tar.gz")):
        if os.path.basename(p) not in kept:
            os.remove(p)
            print(f"inflight_state: {os.path.basename(p)}: removed (finished or gone)")
    print(f"inflight_state: {len(kept)} unfinished runs saved into {out_dir}")


def restore(suite, runs_dir, wsnas):
    s = load_suite(suite)
    here = engine_lines(engine_text(wsnas))
    out_dir = os.path.join(s["results_dir"], "inflight")
    n = 0
    for p in sorted(glob.glob(os.path.join(out_dir, "*.tar.gz"))):
        m = re.fullmatch(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.seed(\d+)\.tar\.gz",
                         os.path.basename(p))
        if not m:
            die(f"{p}: expected a name DATASET.LABEL.seedK.tar.gz")
        dataset, label, seed = m.group(1), m.group(2), int(m.group(3))
        parent = os.path.join(runs_dir, dataset, label)
        d = os.path.join(parent, f"seed{seed}")
        if os.path.exists(d) or os.path.exists(d + ".done"):
            print(f"inflight_state: {os.path.basename(p)}: {d} exists, left alone")
            continue
        allowed = {f"seed{seed}/{f}" for f in FILES} | {f"seed{seed}.json", f"seed{seed}.{ENGINE}"}
        saved = None
        try:
            with tarfile.open(p) as t:
                infos = t.getmembers()
                bad = [i.name for i in infos if i.name not in allowed or not i.isfile()]
                if bad or f"seed{seed}/checkpoint.bin" not in [i.name for i in infos]:
                    die(f"{p}: expected only {sorted(allowed)} with a checkpoint, got {bad}")
                os.makedirs(os.path.join(parent, f"seed{seed}.restoring"), exist_ok=True)
                for i in infos:
                    data = t.extractfile(i).read()
                    if i.name == f"seed{seed}.{ENGINE}":
                        saved = data.decode(errors="replace")
                        dst = os.path.join(parent, f"seed{seed}.engine.txt")
                    else:
                        dst = os.path.join(parent, i.name.replace(f"seed{seed}/",
                                                                  f"seed{seed}.restoring/"))
                    with open(dst + ".tmp", "wb") as f:
                        f.write(data)
                        f.flush()
                        os.fsync(f.fileno())
                    os.rename(dst + ".tmp", dst)
        except (OSError, tarfile.TarError, EOFError) as e:
            die(f"{p}: {e}")
        os.rename(os.path.join(parent, f"seed{seed}.restoring"), d)
        n += 1
        print(f"inflight_state: {os.path.basename(p)}: restored into {d}")
        if saved is None:
            print(f"inflight_state: {os.path.basename(p)}: no {ENGINE} (an older pack): "
                  "the engine that wrote the checkpoint is unknown")
        elif engine_lines(saved) != here:
            diff = [f"'{a}' -> '{b}'" for a, b in zip(engine_lines(saved), here) if a != b]
            print(f"inflight_state: {os.path.basename(p)}: written by another engine "
                  f"({'; '.join(diff) or 'other lines'}): the resumed run continues the same "
                  "protocol, not the bits of an uninterrupted run")
    print(f"inflight_state: {n} unfinished runs restored into {runs_dir}")


def main():
    a = sys.argv[1:]
    wsnas = "build/wsnas"
    if len(a) == 5 and a[3] == "--wsnas":
        wsnas = a[4]
        a = a[:3]
    if len(a) != 3 or a[0] not in ("save", "restore"):
        die("usage: inflight_state.py save|restore SUITE.json RUNS_DIR [--wsnas BIN]")
    (save if a[0] == "save" else restore)(a[1], os.path.abspath(a[2]), wsnas)


if __name__ == "__main__":
    main()
