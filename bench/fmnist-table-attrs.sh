#!/usr/bin/env bash
# fmnist-table-attrs.sh: brings the attributes of the committed table
# bench/fashion-mnist-small.h5 up to the schema (include/wsnas/table.h) and to
# its data, without touching a value (`wsnas table attr` copies the file to
# .tmp, sets string attributes, renames):
#   * the schema's op codes and edge order on /archs/ops, descriptions on
#     /archs/arch_str and on the filled mask;
#   * a unit and a description on every metric;
#   * the benchmark's description: the table is complete (all 6,466
#     isomorphism classes, every row filled), no longer "a random sample".
# Tables built from now on get these attributes from `wsnas table build`.
#   bench/fmnist-table-attrs.sh            # T=other.h5 bench/fmnist-table-attrs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WSNAS=${WSNAS:-build/wsnas}
T=${T:-bench/fashion-mnist-small.h5}
B=fashion-mnist-small
[ -x "$WSNAS" ] || make -j2
DESC="Fashion-MNIST small-network ground truth for the default wsnas run: standalone NB201 cells trained from scratch (wsnas table build) under the recipe attribute; coverage: all 6,466 isomorphism classes, each trained once and shared by its members, so all 15,625 rows are filled"
"$WSNAS" table attr "$T" --schema
"$WSNAS" table attr "$T" --bench "$B" description="$DESC"
for split in valid test; do
  "$WSNAS" table attr "$T" --bench "$B" --metric "${split}_acc_4" unit=% \
      description="top-1 accuracy on the recipe's $split images, mean over seeds"
  "$WSNAS" table attr "$T" --bench "$B" --metric "${split}_acc_4_seed1" unit=% \
      description="top-1 accuracy on the recipe's $split images, one seed"
done
"$WSNAS" table attr "$T" --bench "$B" --metric train_seconds_4 unit=s
