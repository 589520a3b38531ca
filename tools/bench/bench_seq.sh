#!/bin/sh
# bench_seq.sh - the behaviour-sequence targets of issue 6 in one run: NDCG@10 of the walks,
# the Caser sequence model without and with augmentation, and the hybrid, side by side on
# MovieLens-100k leave-last-out (Portrait's own split, docs/EVAL.md), with the training time
# (wall and CPU) of each. Every model is trained on the training part of the split only; the
# hybrid's blend is chosen on a validation split carved from that training part.
#
# usage: tools/bench/bench_seq.sh [BUILD_DIR] [EPOCHS] [THREADS]
#   defaults: build-seq, 20, 1   (THREADS: OpenBLAS threads of the sequence model)
# The machine is shared: wall times depend on its load, printed at the start and the end.
set -eu
B=${1:-build-seq}
E=${2:-20}
T=${3:-1}
D=${DATA:-../shared/data/ml-100k}
W=${TMPDIR:-/tmp}/bench_seq.$$
P="$B/portrait"
export OMP_WAIT_POLICY=PASSIVE
trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
echo "# $(date -u +%FT%TZ) load: $(uptime | sed 's/.*load average: //')"
"$P" --store "$W/ml.db" import --base https://movielens.org/ --map user=1,item=2,value=3,time=4 \
  --action rated "$D/u.data" >/dev/null
# One eval run: prints "name|NDCG@10|HR@10|NDCG@20|blend|train s|wall s|cpu s".
run() {
  name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$W/time" "$P" --store "$W/ml.db" eval --format json "$@" \
    > "$W/out.json"
  python3 - "$name" "$W/out.json" "$W/time" <<'PY'
import json, sys
name, out, tm = sys.argv[1:4]
d = json.load(open(out))
m = d["metrics"]
s = d.get("seq", {})
wall, user, sys_ = (float(x) for x in open(tm).read().split()[-3:])
print("| %s | %.4f | %.4f | %.4f | %s | %s | %.0f | %.0f |" % (
    name, m["NDCG@10"], m["Hit@10"], m["NDCG@20"],
    "%.1f" % s["blend"] if "blend" in s and d.get("model") == "hybrid" else "-",
    "%.0f" % s["train_seconds"] if "train_seconds" in s else "-", wall, user + sys_))
PY
}
echo "| model | NDCG@10 | HR@10 | NDCG@20 | blend (seq weight) | train s (wall) | wall s | CPU s |"
echo "|---|---|---|---|---|---|---|---|"
run "walk (rp3b, defaults)" --method rp3b
run "seq, $E epochs" --model seq --epochs "$E" --threads "$T"
run "seq + crop,mask,reorder, $E epochs" --model seq --epochs "$E" --threads "$T" \
  --augment crop,mask,reorder
run "hybrid (rp3b + seq), $E epochs" --model hybrid --epochs "$E" --threads "$T"
echo "# end load: $(uptime | sed 's/.*load average: //')"
