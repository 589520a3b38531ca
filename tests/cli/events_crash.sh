# Crash test of the event log: feed events through `portrait events add -`, kill -9 it at random
# moments (22 times; every fourth time also a `portrait compact`, killed at a random moment),
# and after each kill check that the store opens and verifies, that every acknowledged event is
# in the graph, and that no event is in the log twice. Bounded to about 30 s (a process start
# costs ~0.2 s here and a commit one fsync, ~10 ms on the test machine's disk).
set -u
export PORTRAIT_STORE="$PWD/crash.db"
export PORTRAIT_LOCK_TIMEOUT=20
rounds=22
fail=0
declare -A acked # round -> number of acknowledged events
# Event k of round r: user r<r>_<k> clicked item i<k mod 40>, one second apart.
gen() {
  local r=$1 k=0
  while :; do
    echo "{\"user\":\"r${r}_$k\",\"item\":\"i$((k % 40))\",\"action\":\"clicked\",\"time\":$((1700000000 + k))}"
    k=$((k + 1))
  done
}
say() { echo "FAIL: $*" >&2; fail=1; }
echo '{"user":"seed","item":"seed","time":1}' | "$PORTRAIT" events add - > /dev/null 2>&1 ||
  say "cannot create the store"
with_acks=0
for r in $(seq 1 $rounds); do
  gen "$r" 2>/dev/null | "$PORTRAIT" events add - --batch 16 > "acks.$r" 2> "err.$r" &
  pid=$!
  sleep "0.$((RANDOM % 4 + 3))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ $((r % 4)) -eq 0 ]; then
    "$PORTRAIT" compact > /dev/null 2>&1 &
    cpid=$!
    sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
    kill -9 "$cpid" 2>/dev/null
    wait "$cpid" 2>/dev/null
  fi
  # What was acknowledged: the first N events of the round, N the sum of the ack counts.
  n=$(awk '$1 == "ack" { s += $3 } END { print s + 0 }' "acks.$r")
  acked[$r]=$n
  [ "$n" -gt 0 ] && with_acks=$((with_acks + 1))
  # The store opens cleanly and verifies (open replays the log).
  "$PORTRAIT" verify > /dev/null 2> "verify.$r" || say "round $r: verify failed: $(cat "verify.$r")"
  # No event twice in the log; its sequence numbers have no holes (read with Debian's sqlite3).
  if ! command -v sqlite3 > /dev/null; then
    dup=0 holes=0
  else
    dup=$(sqlite3 crash.db/manifest.db \
      "SELECT count(*) FROM (SELECT user FROM events GROUP BY user HAVING count(*) > 1)")
    holes=$(sqlite3 crash.db/manifest.db \
      "SELECT CASE WHEN count(*) = 0 THEN 0 ELSE max(id) - min(id) + 1 - count(*) END FROM events")
  fi
  [ "$dup" = "0" ] || say "round $r: $dup events logged twice"
  [ "$holes" = "0" ] || say "round $r: sequence numbers have holes"
  # The last acknowledged sequence number is in the log (or folded into the snapshot).
  last_ack=$(awk '$1 == "ack" { l = $2 + $3 - 1 } END { print l + 0 }' "acks.$r")
  log_last=$("$PORTRAIT" events status | sed 's/.*log at \([0-9]*\),.*/\1/')
  [ "$log_last" -ge "$last_ack" ] || say "round $r: log at $log_last, acknowledged $last_ack"
done
# Every acknowledged event of every round is in the graph, exactly once (edges are a set; the
# log check above catches a second copy before it is folded).
"$PORTRAIT" export --format ntriples 2>/dev/null |
  grep -o 'urn:portrait:user/r[0-9]*_[0-9]*> <[^>]*clicked>' |
  sed 's/urn:portrait:user\/r\([0-9]*\)_\([0-9]*\)>.*/\1 \2/' | sort -u > present
for r in $(seq 1 $rounds); do
  have=$(awk -v r="$r" -v n="${acked[$r]}" '$1 == r && $2 < n { c++ } END { print c + 0 }' present)
  [ "$have" = "${acked[$r]}" ] || say "round $r: ${acked[$r]} acknowledged, $have in the graph"
done
dups=$(cut -d' ' -f1,2 present | uniq -d | wc -l)
[ "$dups" = "0" ] || say "$dups events twice in the graph"
[ "$with_acks" -ge $((rounds / 2)) ] || say "only $with_acks of $rounds rounds got an ack"
# A last compaction folds everything and the store still verifies.
"$PORTRAIT" compact > /dev/null || say "final compact failed"
"$PORTRAIT" verify > /dev/null || say "final verify failed"
pending=$("$PORTRAIT" events status | sed 's/.*, \([0-9]*\) pending/\1/')
[ "$pending" = "0" ] || say "$pending events still pending after compact"
echo "kill -9 rounds: $rounds"
if [ "$fail" = "0" ]; then
  echo "every acknowledged event present exactly once; store verifies"
fi
exit $fail
