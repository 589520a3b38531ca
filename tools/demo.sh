#!/bin/sh
# demo.sh - Portrait's main job on the bundled sample shop, with the embedded default store
# (./portrait.db, or $PORTRAIT_STORE): import the shop, then show what the graph knows, what
# the reviews say, and the HTTP service taking an event and answering with it.
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
echo "== portrait seq train --epochs 20 --dim 16   (a behaviour-sequence CNN, Caser-style, on the shop's events)"
$P seq train --epochs 20 --dim 16 --model build/demo-shop.seq | grep -v '^epoch'
echo
echo "== portrait recommend --user 65 --k 5 --model hybrid --seq-model build/demo-shop.seq"
$P recommend --user 65 --k 5 --model hybrid --seq-model build/demo-shop.seq
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
F=/usr/share/datasets/fashion-mnist
if [ -r $F/train-images-idx3-ubyte.gz ]; then
    echo
    echo "== portrait cnn train --arch small --epochs 2 --limit 2000   (an image CNN on Fashion-MNIST photos)"
    $P cnn train --arch small --epochs 2 --limit 2000 --seed 1 \
        --train-images $F/train-images-idx3-ubyte.gz --train-labels $F/train-labels-idx1-ubyte.gz \
        --model build/demo-cnn.model 2>&1
    echo
    echo "== portrait cnn embed   (item photos -> embeddings, predicted categories, similar items)"
    printf '1 0\n2 1\n3 2\n4 3\n5 4\n6 5\nnew-1 6\nnew-2 7\n' > build/demo-cnn.map
    $P cnn embed --model build/demo-cnn.model --images $F/t10k-images-idx3-ubyte.gz \
        --map build/demo-cnn.map --k 3
    echo
    echo "== portrait neighborhood --node new-1 ...   (a brand-new item with no interactions yet)"
    $P neighborhood --node new-1 --predicates pt:similarTo,pt:predictedCategory --direction out \
        --format tsv
fi

echo
echo "== portrait serve --port 0 --sentiment-model build/demo-sentiment.ptm &   (the HTTP service on a free port; posted events are durable and seen at once)"
$P serve --port 0 --sentiment-model build/demo-sentiment.ptm 2> build/demo-serve.log &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
url=""
for _ in $(seq 100); do
    url=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' build/demo-serve.log)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { cat build/demo-serve.log >&2; exit 1; }
echo "-- GET /v1/health"
curl -s "$url/v1/health"; echo
echo "-- POST /v1/events   (a new user buys two bicycles)"
curl -s -X POST -H 'Content-Type: application/json' "$url/v1/events" \
    -d '[{"user":"new-1","item":"208","action":"purchased"},{"user":"new-1","item":"38","action":"purchased"}]'; echo
echo "-- GET /v1/users/new-1/recommendations?k=3   (the very next request knows them)"
curl -s "$url/v1/users/new-1/recommendations?k=3"; echo
echo "-- POST /v1/events   (new-1 reviews a bicycle; the review is scored before the 201)"
curl -s -X POST -H 'Content-Type: application/json' "$url/v1/events" \
    -d '{"user":"new-1","item":"208","action":"reviewed","value":5,"text":"Excellent bike, light and solid. Great value, would buy again."}'; echo
echo "-- GET /v1/users/new-1/profile   (its likes: the tags of the reviewed item)"
curl -s "$url/v1/users/new-1/profile" | grep -o '"likes":\[[^]]*\]'
echo "-- GET /v1/users/nobody/profile   (an unknown id is a 404 with the reason)"
curl -s -w ' -> HTTP %{http_code}' "$url/v1/users/nobody/profile"; echo
kill $srv
wait $srv 2>/dev/null || true
trap - EXIT
echo "(run 'portrait serve' and open http://127.0.0.1:8080/ for the page: profile card, recommendations, the path as a picture)"
