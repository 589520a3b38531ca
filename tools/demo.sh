#!/bin/sh
# demo.sh - Portrait's main job on the bundled sample shop, with the embedded default store
# (./portrait.db, or $PORTRAIT_STORE): import the shop, then show what the graph knows.
# Importing again is harmless: the graph is a set, repeated events fold into one edge.
set -eu
cd "$(dirname "$0")/.."
P=./build/portrait
test -x "$P" || { echo "demo: run tools/setup.sh first" >&2; exit 1; }

echo "== portrait import --base https://shop.example/ tools/data/sample-shop.ttl"
$P import --base https://shop.example/ tools/data/sample-shop.ttl
echo
echo "== portrait stats --top 12"
$P stats --top 12
echo
echo "== portrait neighborhood --node 65 --predicates purchased,rated --direction out --format tsv"
$P neighborhood --node 65 --predicates purchased,rated --direction out --format tsv
echo
echo "== portrait recommend --user 65 --k 5"
$P recommend --user 65 --k 5
echo
echo "== portrait explain --user 65 --item <the first recommendation>  (why? the top paths)"
item=$($P recommend --user 65 --k 1 | cut -f2)
$P explain --user 65 --item "$item" --format json
echo
echo "== portrait profile --user 65 --top 3 --similar 3 --recs 2   (the user's portrait, 用户画像)"
$P profile --user 65 --top 3 --similar 3 --recs 2
echo
echo "== portrait text train on 3,000 labelled reviews (portrait-gen --reviews), then predict"
./build/portrait-gen --reviews 3000 --seed 7 --out build/demo-reviews.csv 2>/dev/null
$P text train --data build/demo-reviews.csv --model build/demo-sentiment.ptm
printf '%s\n' "Battery drains within hours. Not recommended." "质量很好，物流很快。会回购的。" |
    $P text predict --model build/demo-sentiment.ptm
echo
echo "== portrait tag --model build/demo-sentiment.ptm   (keyword tags, review sentiment, likes/dislikes)"
$P tag --model build/demo-sentiment.ptm
echo
echo "== portrait profile --user 117 --top 2 --similar 0 --recs 0   (likes and dislikes from reviews)"
$P profile --user 117 --top 2 --similar 0 --recs 0 | sed -e 's/,"likes"/\n "likes"/' -e 's/,"dislikes"/\n "dislikes"/' |
    cut -c1-400
