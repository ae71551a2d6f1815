#!/usr/bin/env bash
# build-proxy-table.sh: (re)builds bench/nb201-cifar10-proxies.h5, the
# committed zero-cost-proxy benchmarks of all NB201 architectures on
# CIFAR-10 (`wsnas proxy`, include/wsnas/proxy.h), resumably.
#
#   benchmark cifar10-proxies         synflow, snip, grad_norm: every class
#   benchmark cifar10-cost            params, flops: every architecture
#   benchmark cifar10-proxies-sample  all nine proxies on 200 random classes
#   benchmark cifar10-proxies-rest    jacob_cov, naswot, fisher, grasp: every
#                                     class (about 1.2 CPU-s a class, 2 CPU-hours)
#
# A run killed part-way keeps its classes in OUT.progress; running the
# script again continues (a finished benchmark is a no-op).  THREADS scorers
# run in parallel (the scores do not depend on it); mpirun -np K
# build/wsnas proxy ... splits the classes over ranks instead.
set -euo pipefail
cd "$(dirname "$0")/.."
WSNAS=${WSNAS:-build/wsnas}
OUT=${OUT:-bench/nb201-cifar10-proxies.h5}
DATA=${DATA:-../shared/cifar10}
SPLIT=${SPLIT:-../shared/nb201/splits/cifar-split.txt}
THREADS=${THREADS:-2}
[ -x "$WSNAS" ] || make -j2
common=(-o "$OUT" --data "$DATA" --split "$SPLIT" --threads "$THREADS")
"$WSNAS" proxy "${common[@]}" --bench cifar10-cost --proxy params,flops --all -q
"$WSNAS" proxy "${common[@]}" --bench cifar10-proxies --proxy synflow,snip,grad_norm --all
"$WSNAS" proxy "${common[@]}" --bench cifar10-proxies-sample --sample 200 --sample-seed 15
"$WSNAS" proxy "${common[@]}" --bench cifar10-proxies-rest --proxy jacob_cov,naswot,fisher,grasp --all
# no repack: wsnas's writer deflates each dataset and adds its Fletcher-32
# checksum (an h5repack without -f FLET would drop the checksums)
"$WSNAS" table info "$OUT" | grep -E '^\[|filled mask'
