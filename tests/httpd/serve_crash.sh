#!/bin/bash
# serve_crash.sh PORTRAIT PORTRAIT_GEN WORKDIR - crash test of `portrait serve` (issue 7).
#
# Two clients post review events (one new user each, so every event is countable) while the
# service is stopped with kill -9 at a random moment, 20 times; the service restarts on the
# same store each time. Every event answered 201 is "acknowledged". At the end the store must
# hold every acknowledged event exactly once (one pt:Event node per user: a lost event has
# none, a replayed-twice log entry would have two), open cleanly, and pass `portrait verify`.
# Exit 0 pass, 1 fail, 77 skipped (no curl, or a build without the event log).
set -u
P=$1
GEN=$2
W=$3
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
export PORTRAIT_STORE=$W/store.db
"$GEN" --triples 2000 --seed 3 --format turtle --out shop.ttl 2>/dev/null || exit 1
"$P" import --quiet --base https://shop.example/ shop.ttl || exit 1

PID=
PORT=
# Start the service on a free port; sets PID and PORT. Fails when it does not come up in 20 s.
start() {
    : > serve.log
    "$P" serve --port 0 --threads 2 2>serve.log &
    PID=$!
    for _ in $(seq 1 200); do
        PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.log)
        [ -n "$PORT" ] && return 0
        kill -0 $PID 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL: the service did not start:"; cat serve.log
    exit 1
}

# Post events for users c<round>_<client>_<i> until the service is gone; record the 201s.
client() {
    local round=$1 cl=$2 i=0 code
    while :; do
        i=$((i + 1))
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 -H 'Content-Type: application/json' \
            -d "{\"user\":\"c${round}_${cl}_$i\",\"item\":\"ci$((i % 7))\",\"action\":\"reviewed\",\"value\":4,\"text\":\"round $round client $cl event $i\"}" \
            "http://127.0.0.1:$PORT/v1/events")
        if [ "$code" = 201 ]; then
            echo "c${round}_${cl}_$i" >> "acked.$cl"
        elif [ "$code" = 000 ]; then
            return 0
        else
            echo "unexpected status $code" >> errors.txt
            return 0
        fi
    done
}

start
if ! curl -s "http://127.0.0.1:$PORT/v1/health" | grep -q '"events":true'; then
    kill $PID; wait $PID 2>/dev/null
    echo "skip: this build has no event log"
    exit 77
fi
kill -9 $PID; wait $PID 2>/dev/null
: > acked.1; : > acked.2; : > errors.txt
RANDOM=20261128
for round in $(seq 1 20); do
    start
    client $round 1 & C1=$!
    client $round 2 & C2=$!
    sleep "0.$((RANDOM % 6 + 1))"          # 0.1 .. 0.6 s of traffic
    kill -9 $PID; wait $PID 2>/dev/null
    wait $C1 $C2
done
sort -u acked.1 acked.2 > acked.txt
n_acked=$(wc -l < acked.txt)

start
curl -s -H 'Content-Type: application/json' \
    -d '{"query":"SELECT ?u (COUNT(?e) AS ?n) WHERE { ?e <https://w3id.org/portrait/ns#user> ?u } GROUP BY ?u","format":"tsv"}' \
    "http://127.0.0.1:$PORT/v1/sparql" > counts.tsv
kill -TERM $PID; wait $PID
# counts.tsv: header, then "<IRI>\tcount" (typed literals as "n"^^xsd:integer).
# The generated shop has review events of its own users; only the c<round>_<client>_<i> users
# are this test's.
sed -n '2,$p' counts.tsv | sed 's|^<[^>]*/\([^/>]*\)>\t"\{0,1\}\([0-9]*\).*|\1 \2|' |
    grep '^c[0-9]*_[12]_[0-9]* ' | sort > present.txt
missing=$(join -v1 acked.txt <(cut -d' ' -f1 present.txt) | wc -l)
dups=$(awk '$2 != 1' present.txt | wc -l)
errors=$(wc -l < errors.txt)
"$P" verify >verify.log 2>&1; vrc=$?
echo "rounds: 20, acknowledged events: $n_acked, events in the store: $(wc -l < present.txt)"
echo "acknowledged events missing: $missing"
echo "users with more than one event: $dups"
echo "unexpected statuses: $errors"
echo "verify exit: $vrc"
if [ "$n_acked" -lt 20 ] || [ "$missing" -ne 0 ] || [ "$dups" -ne 0 ] || [ "$errors" -ne 0 ] || \
   [ "$vrc" -ne 0 ]; then
    echo "FAIL"; head -5 present.txt; cat errors.txt verify.log
    exit 1
fi
echo "PASS"
