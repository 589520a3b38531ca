#!/bin/sh
# bench_tag.sh - `portrait tag` over the 50,221 reviews of online_shopping_10_cats.dev.csv
# (issue target: < 30 s on 2 cores). The file has no user or item ids, so each review becomes a
# `reviewed` event of its own user (two reviews per user) on one of 200 items of its category;
# then a sentiment model is trained on the file's reference split and `portrait tag --model`
# tags every item and scores every review, twice (the second run must change nothing).
#
# usage: tools/bench/bench_tag.sh [PORTRAIT_BINARY] [DATA_DIR]
set -eu
BIN=${1:-build/portrait}
DATA=${2:-../shared/data}
CSV=$DATA/zh-reviews/online_shopping_10_cats.dev.csv
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_tag.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
/usr/bin/python3 - "$CSV" "$TMP/reviews.jsonl" <<'PY'
import csv, json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w") as out:
    for i, r in enumerate(csv.DictReader(f)):
        out.write(json.dumps({"user": "u%d" % (i // 2), "item": "%s-%d" % (r["cat"], (i * 7919) % 200),
                              "text": r["review"], "rating": 5 if r["label"] == "1" else 1,
                              "t": 1600000000 + i}, ensure_ascii=False) + "\n")
PY
"$BIN" --store "$TMP/db" import "$TMP/reviews.jsonl" --base https://shop.example/ \
    --map user=user,item=item,value=rating,time=t,text=text --action reviewed >/dev/null
"$BIN" text train --task sentiment --data "$CSV" --model "$TMP/s.ptm" --split-every 5 2>/dev/null
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in 1 2; do
    /usr/bin/time -f "run $run: %e s wall, %U s user, %S s sys, %M KB peak" \
        "$BIN" --store "$TMP/db" tag --model "$TMP/s.ptm"
done
"$BIN" --store "$TMP/db" stats | head -3
