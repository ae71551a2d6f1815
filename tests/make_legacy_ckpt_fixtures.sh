#!/usr/bin/env bash
# make_legacy_ckpt_fixtures.sh: how tests/fixtures/legacy_ckpt/ was made: three
# search directories stopped after epoch 1 of 2, written by wsnas at commit
# d41c6d5 (the last version with the version-1 checkpoint layout: raw
# "search.run" / "search.method" structs, no record of method, seed or config).
# test_methods.c resumes them with the current code.  Not run in CI; to
# regenerate, build that commit and point WSNAS at its binary.
set -euo pipefail
WSNAS=${WSNAS:?the wsnas binary of commit d41c6d5}
OUT=${OUT:-tests/fixtures/legacy_ckpt}
SMALL="--set C=4 --set image_size=8 --set train_size=192 --set valid_size=128 --set eval_size=64 --set batch=32 --set select_k=5 --set select_batch=64"
rm -rf "$OUT" && mkdir -p "$OUT"
"$WSNAS" search --method gdas --epochs 2 --seed 7 $SMALL --stop-after-epoch 1 --out "$OUT/gdas"
"$WSNAS" search --method gaea-pc-darts --epochs 2 --seed 7 $SMALL --set pc_k=2 --set pc_sample=random \
    --stop-after-epoch 1 --out "$OUT/gaea-pc-darts"
"$WSNAS" search --method rs-ws --epochs 2 --seed 7 $SMALL --stop-after-epoch 1 --out "$OUT/rs-ws"
