#!/bin/sh
# bench_sparql.sh - time `portrait sparql` against rasqal's own `roqet` on the generated shop.
#
# Both run the same SPARQL text with the same rasqal engine; the difference is the dataset:
# Portrait answers triple patterns from its mapped CSR store, roqet parses an N-Triples export
# of that same store into its in-memory triple list and scans it. Each query's sorted TSV output
# must be identical. Two queries: a 2-hop neighbourhood (items and categories of one user's
# purchases) and a co-purchase count (users who bought what user X bought, and what else they
# bought, grouped and ordered by count).
#
# usage: tools/bench/bench_sparql.sh [BUILD_DIR]    (default build-sq)
# env:   TRIPLES (default 1000000), NT (default /tmp/s1m.nt), RUNS (default 3),
#        USER_IRI (default: the user with the most purchases), KEEP=1 keeps the temp dir.
set -eu

BUILD=${1:-build-sq}
P="$BUILD/portrait"
TRIPLES=${TRIPLES:-1000000}
NT=${NT:-/tmp/s1m.nt}
RUNS=${RUNS:-3}
PT='https://w3id.org/portrait/ns#'

[ -x "$P" ] || { echo "bench_sparql: build $P first" >&2; exit 1; }
command -v roqet > /dev/null || { echo "bench_sparql: roqet not found (rasqal-utils)" >&2; exit 1; }

if [ ! -s "$NT" ]; then
    gcc -O2 -o /tmp/portrait-gen tools/gen/portrait_gen.c -lm
    /tmp/portrait-gen --triples "$TRIPLES" --format ntriples --out "$NT"
fi

T=$(mktemp -d /tmp/bench_sparql.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$T"' EXIT
S="$T/store.db"
"$P" import "$NT" --store "$S" > /dev/null
# roqet reads what Portrait holds: the RDF view (edges and literal properties) as N-Triples.
"$P" export --store "$S" --format ntriples --out "$T/x.nt"
echo "dataset: $NT -> store; export $(wc -l < "$T/x.nt") triples"

# The user with the most purchases, unless given.
if [ -z "${USER_IRI:-}" ]; then
    "$P" sparql --store "$S" --format tsv \
        "SELECT ?u (COUNT(?i) AS ?n) WHERE { ?u <${PT}purchased> ?i } GROUP BY ?u ORDER BY DESC(?n) ?u LIMIT 1" \
        > "$T/top.tsv"
    USER_IRI=$(sed -n '2p' "$T/top.tsv" | cut -f1 | tr -d '<>')
fi
echo "user: $USER_IRI"

Q1="SELECT ?i ?c WHERE { <$USER_IRI> <${PT}purchased> ?i . ?i <${PT}inCategory> ?c }"
Q2="SELECT ?other (COUNT(?u) AS ?n) WHERE {
  <$USER_IRI> <${PT}purchased> ?i .
  ?u <${PT}purchased> ?i . FILTER(?u != <$USER_IRI>)
  ?u <${PT}purchased> ?other . FILTER(?other != ?i)
} GROUP BY ?other ORDER BY DESC(?n) ?other LIMIT 50"

# Best wall time (seconds) of RUNS runs of "$@", output to $OUT.
best() {
    b=""
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        t0=$(date +%s.%N)
        # roqet exits 2 when rasqal logged a warning (a FILTER on mixed terms) even though
        # its results are complete; the comparison below is what checks them.
        "$@" > "$OUT" || [ $? -eq 2 ]
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
        i=$((i + 1))
    done
    echo "$b"
}

status=0
for name in Q1 Q2; do
    eval "q=\$$name"
    OUT="$T/$name.pt"
    tp=$(best "$P" sparql --store "$S" --format tsv "$q")
    OUT="$T/$name.rq"
    tr=$(best roqet -q -i sparql -D "$T/x.nt" -r tsv -e "$q")
    LC_ALL=C sort "$T/$name.pt" > "$T/$name.pt.s"
    LC_ALL=C sort "$T/$name.rq" > "$T/$name.rq.s"
    rows=$(($(wc -l < "$T/$name.pt") - 1))
    if cmp -s "$T/$name.pt.s" "$T/$name.rq.s"; then same=same; else same=DIFFERENT; status=1; fi
    printf '%s: portrait %.3f s, roqet %.3f s, %.1fx, %d rows, results %s\n' \
        "$name" "$tp" "$tr" "$(echo "$tr / $tp" | bc -l)" "$rows" "$same"
done
exit $status
