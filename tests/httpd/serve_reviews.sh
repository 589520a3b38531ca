#!/bin/bash
# serve_reviews.sh PORTRAIT PORTRAIT_GEN WORKDIR - reviews posted to `portrait serve
# --sentiment-model` are scored before the 201 (issue 7: tags update incrementally).
#
# A sentiment model is trained on generated reviews; the service takes a clearly negative and a
# clearly positive review of a tagged item from two new users. Right after each 201 the user's
# profile must hold dislikes (likes) of exactly the item's tags, and /metrics must count the
# review. After a restart the reviews, replayed from the log, are scored again at start. A
# category model and a corrupt file are refused at start with exit 2.
# Exit 0 pass, 1 fail, 77 skipped (no curl, or a build without the event log).
set -u
P=$1
GEN=$2
W=$3
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
export PORTRAIT_STORE=$W/store.db
fail() { echo "FAIL: $*"; [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; exit 1; }
"$GEN" --triples 3000 --seed 5 --format turtle --out shop.ttl 2>/dev/null || exit 1
"$P" import --quiet --base https://shop.example/ shop.ttl || exit 1
"$GEN" --reviews 2000 --seed 7 --out reviews.csv 2>/dev/null || exit 1
"$P" text train --data reviews.csv --model sent.ptm > /dev/null 2>&1 || fail "text train"

PID=
PORT=
start() {
    : > serve.log
    "$P" serve --port 0 --threads 2 --sentiment-model "${1:-sent.ptm}" 2>serve.log &
    PID=$!
    for _ in $(seq 1 200); do
        PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.log)
        [ -n "$PORT" ] && return 0
        kill -0 $PID 2>/dev/null || break
        sleep 0.1
    done
    wait $PID 2>/dev/null
    return 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null; PID=; }
get() { curl -s -m 10 "http://127.0.0.1:$PORT$1"; }
post() {
    curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$1" \
        "http://127.0.0.1:$PORT/v1/events"
}
# The sorted tag ids of an opinion list ("likes" or "dislikes") in a profile.
opinions() { grep -o "\"$1\":\[[^]]*\]" | grep -o '"id":"[^"]*"' | sort; }

start || fail "the service did not start: $(cat serve.log)"
if ! get /v1/health | grep -q '"events":true'; then
    stop
    echo "skip: this build has no event log"
    exit 77
fi
# An item with tags: the first item of the shop's neighbourhood of a tag edge.
ITEM=$(get "/v1/users/1/recommendations?k=20" | grep -o '"item":"[^"]*"' | cut -d'"' -f4 |
    while read -r i; do
        n=$(get "/v1/nodes/$i/neighborhood?hops=1&predicates=pt:hasTag" | grep -o '"class":"Tag"' | wc -l)
        [ "$n" -gt 0 ] && { echo "$i"; break; }
    done)
[ -n "$ITEM" ] || fail "no tagged item to review"
TAGS=$(get "/v1/nodes/$ITEM/neighborhood?hops=1&predicates=pt:hasTag&limit=1000" |
    grep -o '"id":"[^"]*","iri":"[^"]*","class":"Tag"' | grep -o '^"id":"[^"]*"' | sort)
[ -n "$TAGS" ] || fail "no tags of $ITEM"
# The shop's own reviews were scored at start (no `portrait tag` ran): count from here.
scored() { get /metrics | sed -n 's/^portrait_reviews_scored_total //p'; }
S0=$(scored)
[ -n "$S0" ] || fail "no portrait_reviews_scored_total in /metrics"
grep -q "scored $S0 reviews the store held unscored" serve.log || [ "$S0" = 0 ] ||
    fail "start log: $(cat serve.log)"

code=$(post "{\"user\":\"grumpy\",\"item\":\"$ITEM\",\"action\":\"reviewed\",\"value\":1,\"text\":\"Terrible. It broke after two days, the battery is awful. A waste of money, do not buy.\"}")
[ "$code" = 201 ] || fail "negative review: status $code"
got=$(get /v1/users/grumpy/profile | opinions dislikes)
[ "$got" = "$TAGS" ] || fail "grumpy's dislikes are not the item's tags: got [$got] want [$TAGS]"
[ -z "$(get /v1/users/grumpy/profile | opinions likes)" ] || fail "grumpy likes something"

code=$(post "{\"user\":\"happy\",\"item\":\"$ITEM\",\"action\":\"reviewed\",\"value\":5,\"text\":\"Excellent quality, works perfectly and feels solid. Great value, would buy again.\"}")
[ "$code" = 201 ] || fail "positive review: status $code"
got=$(get /v1/users/happy/profile | opinions likes)
[ "$got" = "$TAGS" ] || fail "happy's likes are not the item's tags: got [$got] want [$TAGS]"
[ "$(scored)" = $((S0 + 2)) ] || fail "metrics: $(scored) reviews scored, want $((S0 + 2))"
# An event without text scores nothing.
code=$(post "{\"user\":\"happy\",\"item\":\"$ITEM\",\"action\":\"viewed\"}")
[ "$code" = 201 ] || fail "view: status $code"
[ "$(scored)" = $((S0 + 2)) ] || fail "a view was scored"
stop

# Restart: the log replays both reviews without their derived edges; they are scored at start.
start || fail "restart: $(cat serve.log)"
grep -q "scored $((S0 + 2)) reviews the store held unscored" serve.log ||
    fail "restart log: $(cat serve.log)"
got=$(get /v1/users/grumpy/profile | opinions dislikes)
[ "$got" = "$TAGS" ] || fail "after restart: grumpy's dislikes [$got]"
stop

# Wrong models are refused at start.
"$GEN" --reviews 200 --seed 9 --out cat.csv 2>/dev/null
awk -F, 'NR == 1 { print "label,text"; next } { print ($2 == "en" ? "english" : "chinese") "," $3 }' cat.csv > cat2.csv
"$P" text train --task category --data cat2.csv --text-col text --model cat.ptm > /dev/null 2>&1 ||
    fail "category train"
"$P" serve --port 0 --sentiment-model cat.ptm 2> bad.log && fail "a category model was taken"
[ $? -eq 2 ] || fail "category model: exit $?"
grep -q "category model, not a sentiment one" bad.log || fail "category model: $(cat bad.log)"
head -c 100 sent.ptm > broken.ptm
"$P" serve --port 0 --sentiment-model broken.ptm 2> bad.log && fail "a broken model was taken"
grep -q "sentiment-model" bad.log || fail "broken model: $(cat bad.log)"
echo "PASS: reviews scored at acknowledgement and after restart; wrong models refused"
