#!/bin/bash
# page_test.sh PORTRAIT PORTRAIT_GEN WORKDIR - the page of `portrait serve` end to end in
# headless Chromium (Debian's /usr/bin/chromium; no npm, nothing downloaded).
#
# A generated shop is imported and served; Chromium loads /?user=3, which looks the user up
# through the JSON API, and dumps the DOM after the page's scripts ran. The DOM must hold the
# profile card, the recommendation list with items, and the explanation picture as an inline
# <svg> with Graphviz's nodes and edges, and the page must report "done" (not "error").
# Exit 0 pass, 1 fail, 77 skipped (no Chromium or no curl).
set -u
P=$1
GEN=$2
W=$3
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "skip: no $CHROMIUM"; exit 77; }
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
export PORTRAIT_STORE=$W/store.db
"$GEN" --triples 3000 --seed 5 --format turtle --out shop.ttl 2>/dev/null || exit 1
"$P" import --quiet --base https://shop.example/ shop.ttl || exit 1
"$P" serve --port 0 2>serve.log &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
PORT=
for _ in $(seq 1 200); do
    PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.log)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "FAIL: the service did not start"; cat serve.log; exit 1; }
# Chromium runs as whoever runs the tests (root in CI containers needs --no-sandbox), with a
# profile of its own in the work directory.
HOME=$W timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$W/chromium" --virtual-time-budget=20000 \
    --dump-dom "http://127.0.0.1:$PORT/?user=3" > dom.html 2> chromium.log
rc=$?
fail=0
check() {
    if grep -q -- "$1" dom.html; then
        echo "ok: $2"
    else
        echo "FAIL: $2 (no '$1' in the DOM)"
        fail=1
    fi
}
echo "chromium exit: $rc"
check 'data-state="done"' "the page finished its requests without error"
check 'id="profile-card"' "profile card"
check 'User 3' "profile card names the user"
check 'id="rec-list"' "recommendation list"
check 'data-item="' "recommended items"
check 'id="explain-picture"><svg' "explanation picture as inline SVG"
check 'class="edge"' "the picture has edges"
check 'class="node"' "the picture has nodes"
if [ $fail -ne 0 ] || [ $rc -ne 0 ]; then
    tail -20 chromium.log
    exit 1
fi
echo "PASS"
