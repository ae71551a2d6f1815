#!/usr/bin/python3
"""inflight_state.py: carries a `wsnas bench` suite's unfinished runs across a
change of machine, through the repository (the only thing that survives one).

  save    SUITE.json RUNS_DIR   every run of the suite that has a checkpoint but
                                no .done marker is packed, as `wsnas search
                                --resume` needs it (checkpoint.bin,
                                manifest.json, epochs.csv, arch_weights.csv and
                                the run's config file), into
                                RESULTS/inflight/<dataset>.<label>.seed<k>.tar.gz
                                (written via a temp file, fsynced, renamed);
                                packs of runs that have finished since are
                                removed
  restore SUITE.json RUNS_DIR   unpacks every pack whose run directory does not
                                exist yet; `wsnas bench` then resumes the run
                                from its checkpoint

Each pack is checked on save (the tar lists exactly those files, the
checkpoint's bytes equal the run's) and on restore (member names, no paths
outside the run). Finished runs travel as committed results instead
(bench/tools/restore_runs.py).

Run from the repository root:
  /usr/bin/python3 bench/tools/inflight_state.py save|restore SUITE.json RUNS_DIR
"""
import glob
import hashlib
import io
import json
import os
import re
import sys
import tarfile

FILES = ("checkpoint.bin", "manifest.json", "epochs.csv", "arch_weights.csv")


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


def save(suite, runs_dir):
    s = load_suite(suite)
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
            raw.flush()
            os.fsync(raw.fileno())
        with tarfile.open(tmp) as t:
            names = t.getnames()
            ck = t.extractfile(f"seed{seed}/checkpoint.bin").read()
        if names != [a for _, a in members] or \
                hashlib.sha256(ck).hexdigest() != sha(os.path.join(d, "checkpoint.bin")):
            os.remove(tmp)
            die(f"{tmp}: read back differs from {d}")
        os.rename(tmp, path)
        kept.add(name)
        with open(os.path.join(d, "manifest.json")) as f:
            m = json.load(f)
        print(f"inflight_state: {name}: {m.get('epochs_done')} of "
              f"{m.get('config', {}).get('epochs')} epochs, {os.path.getsize(path)} bytes")
    for p in glob.glob(os.path.join(out_dir, "*.tar.gz")):
        if os.path.basename(p) not in kept:
            os.remove(p)
            print(f"inflight_state: {os.path.basename(p)}: removed (finished or gone)")
    print(f"inflight_state: {len(kept)} unfinished runs saved into {out_dir}")


def restore(suite, runs_dir):
    s = load_suite(suite)
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
        allowed = {f"seed{seed}/{f}" for f in FILES} | {f"seed{seed}.json"}
        try:
            with tarfile.open(p) as t:
                infos = t.getmembers()
                bad = [i.name for i in infos if i.name not in allowed or not i.isfile()]
                if bad or f"seed{seed}/checkpoint.bin" not in [i.name for i in infos]:
                    die(f"{p}: expected only {sorted(allowed)} with a checkpoint, got {bad}")
                os.makedirs(os.path.join(parent, f"seed{seed}.restoring"), exist_ok=True)
                for i in infos:
                    data = t.extractfile(i).read()
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
    print(f"inflight_state: {n} unfinished runs restored into {runs_dir}")


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("save", "restore"):
        die("usage: inflight_state.py save|restore SUITE.json RUNS_DIR")
    (save if sys.argv[1] == "save" else restore)(sys.argv[2], os.path.abspath(sys.argv[3]))


if __name__ == "__main__":
    main()
