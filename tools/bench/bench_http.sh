#!/bin/bash
# bench_http.sh - load `portrait serve` with wrk (Debian) over loopback on MovieLens-100k and
# print the results as a Markdown table for docs/BENCHMARKS.md. The targets (issue 7):
#   recommendations with explanations  >= 5,000 req/s at p99 <= 20 ms on 2 cores
#   durable ingest, batched            >= 20,000 events/s
#   durable ingest, one event/request  >= 2,000 req/s
#   90% reads / 10% writes for 60 s    no errors, memory flat (VmRSS sampled every 5 s)
# wrk runs on the same machine and takes CPU from the service; threads and connections are
# printed with each result. The machine is shared, so the load average is printed too.
#
# usage: tools/bench/bench_http.sh [BUILD_DIR]     (default build-http)
# env:   DUR (seconds per run, default 20), MIXED (seconds of the mixed run, default 60),
#        THREADS (service threads, default 2), WRK_T (wrk threads, default 1), CONN (wrk
#        connections, default 16), BATCH (events per batched request, default 500),
#        CACHE_MS (--cache-ms, default 1000; 0 computes every recommendation), WRITE_THREADS
#        and WRITE_CONN (service threads and wrk connections of the ingest runs, default
#        THREADS and 64: posts in flight together share one commit, so single events want
#        many connections; the batched run uses BATCH_CONN, default 8, so that no batch waits
#        past wrk's 2 s timeout), MIXED_THREADS (service threads of the mixed run, default
#        THREADS), KEEP=1 keeps the work directory.
set -eu

BUILD=${1:-build-http}
P="$PWD/$BUILD/portrait"
DATA=${DATA:-/work/shared/data/ml-100k/u.data}
DUR=${DUR:-20}
MIXED=${MIXED:-60}
THREADS=${THREADS:-2}
WRK_T=${WRK_T:-1}
CONN=${CONN:-16}
BATCH=${BATCH:-500}
CACHE_MS=${CACHE_MS:-1000}
WRITE_THREADS=${WRITE_THREADS:-$THREADS}
WRITE_CONN=${WRITE_CONN:-64}
BATCH_CONN=${BATCH_CONN:-8}
MIXED_THREADS=${MIXED_THREADS:-$THREADS}
LUA="$PWD/tools/bench"

[ -x "$P" ] || { echo "bench_http: build $P first" >&2; exit 1; }
command -v wrk > /dev/null || { echo "bench_http: wrk not found" >&2; exit 1; }
[ -r "$DATA" ] || { echo "bench_http: no $DATA" >&2; exit 1; }

W=$(mktemp -d /tmp/bench_http.XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
export PORTRAIT_STORE="$W/store.db"
export PT_USERS=943 PT_ITEMS=1682
# The import map of docs/IMPORT-EVENTS.md.
"$P" import --quiet --map user=1,item=2,value=3,time=4 --action rated \
    --base https://movielens.org/ "$DATA"
head -c 24 /dev/urandom | base64 | tr -d '\n' > "$W/token"
export PT_TOKEN
PT_TOKEN=$(cat "$W/token")

start() {
    "$P" serve --port 0 --threads "${1:-$THREADS}" --token-file "$W/token" --max-body 8388608 \
        --cache-ms "${2:-$CACHE_MS}" \
        2> "$W/serve.log" &
    PID=$!
    PORT=
    for _ in $(seq 1 300); do
        PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$W/serve.log")
        [ -n "$PORT" ] && return 0
        sleep 0.1
    done
    echo "bench_http: the service did not start" >&2
    cat "$W/serve.log" >&2
    exit 1
}
stop() {
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
}

# CPU time (user + system, clock ticks) the service has used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)

# Run wrk with a Lua script; leaves its report in $W/wrk.out and the service's CPU time per
# request (ms, independent of how busy the shared machine is) in CPU_MS.
run_wrk() {
    local script=$1 dur=$2 conn=${3:-$CONN} t0 t1 n
    t0=$(ticks)
    wrk -t"$WRK_T" -c"$conn" -d"${dur}s" --latency -s "$LUA/$script" \
        "http://127.0.0.1:$PORT" > "$W/wrk.out"
    t1=$(ticks)
    n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$W/wrk.out")
    CPU_MS=$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$HZ" \
        'BEGIN { if (n > 0) printf "%.3f", (b - a) * 1000 / hz / n; else print "-" }')
}
rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$W/wrk.out"; }
pct() { sed -n "s/^ *$1% *\\([0-9.]*[a-z]*\\).*/\\1/p" "$W/wrk.out"; }
errs() {
    local non2xx sockerr
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$W/wrk.out")
    sockerr=$(sed -n 's/^ *Socket errors: *\(.*\)/\1/p' "$W/wrk.out")
    echo "non-2xx ${non2xx:-0}; socket errors: ${sockerr:-none}"
}

echo "## bench_http ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "Load before: $(uptime | sed 's/.*load average/load average/')"
echo "Service --cache-ms $CACHE_MS; wrk $WRK_T thread(s); all on the same 2 cores. Threads and"
echo "connections: reads $THREADS / $CONN, batched ingest $WRITE_THREADS / $BATCH_CONN, single events $WRITE_THREADS / $WRITE_CONN, mixed $MIXED_THREADS / $CONN."
echo
echo "| run | result | p50 | p99 | service CPU per request | errors |"
echo "| --- | --- | --- | --- | --- | --- |"

# The cache counters of the running service: "hits misses".
cache_counts() {
    curl -s "http://127.0.0.1:$PORT/metrics" |
        awk '/^portrait_rec_cache_hits_total / { h = $2 } /^portrait_rec_cache_misses_total / { m = $2 }
             END { print h + 0, m + 0 }'
}

start
# Warm up: every worker's scratch and the page cache.
wrk -t1 -c4 -d2s -s "$LUA/http_recs.lua" "http://127.0.0.1:$PORT" > /dev/null
read -r h0 m0 <<< "$(cache_counts)"
run_wrk http_recs.lua "$DUR"
read -r h1 m1 <<< "$(cache_counts)"
hit=$(awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN { if (h + m > 0) printf "%.1f%%", 100 * h / (h + m); else print "-" }')
echo "| recommendations k=10 with explanations, --cache-ms $CACHE_MS (answers from the cache: $hit), ${DUR} s | $(rps) req/s | $(pct 50) | $(pct 99) | $CPU_MS ms | $(errs) |"
if [ "$CACHE_MS" != 0 ]; then
    # The same with every answer computed: what a cold cache or many more users cost.
    stop
    start "$THREADS" 0
    wrk -t1 -c4 -d2s -s "$LUA/http_recs.lua" "http://127.0.0.1:$PORT" > /dev/null
    run_wrk http_recs.lua "$DUR"
    echo "| recommendations k=10 with explanations, every answer computed (--cache-ms 0), ${DUR} s | $(rps) req/s | $(pct 50) | $(pct 99) | $CPU_MS ms | $(errs) |"
fi

stop
start "$WRITE_THREADS"
PT_BATCH=$BATCH run_wrk http_events.lua "$DUR" "$BATCH_CONN"
r=$(rps)
ev=$(awk -v r="$r" -v b="$BATCH" 'BEGIN { printf "%.0f", r * b }')
echo "| durable ingest, $BATCH events per request, ${DUR} s | $r req/s = $ev events/s | $(pct 50) | $(pct 99) | $CPU_MS ms | $(errs) |"

PT_BATCH=1 run_wrk http_events.lua "$DUR" "$WRITE_CONN"
echo "| durable ingest, 1 event per request, ${DUR} s | $(rps) req/s | $(pct 50) | $(pct 99) | $CPU_MS ms | $(errs) |"
stop
start "$MIXED_THREADS"

# Mixed: sample the service's resident memory every 5 s while wrk runs.
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
: > "$W/rss"
( for _ in $(seq 1 $((MIXED / 5 + 1))); do rss >> "$W/rss"; sleep 5; done ) &
SAMPLER=$!
run_wrk http_mixed.lua "$MIXED"
kill $SAMPLER 2>/dev/null || true
wait $SAMPLER 2>/dev/null || true
samples=$(tr '\n' ' ' < "$W/rss" | awk '{ for (i = 1; i <= NF; i++) printf "%s%.0f", (i > 1 ? " " : ""), $i / 1024 }')
echo "| 90% recommendations / 10% single events, ${MIXED} s | $(rps) req/s | $(pct 50) | $(pct 99) | $CPU_MS ms | $(errs) |"
stop
echo
echo "VmRSS during the mixed run (MiB, every 5 s): $samples"
echo "Load after: $(uptime | sed 's/.*load average/load average/')"
