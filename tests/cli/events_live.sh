# Real-time events from the command line: append (NDJSON, an array, stdin), acks, errors and
# exit codes, replay on open, compaction, and erasure of a user down to the store's bytes.
cat > ev.ndjson <<'END'
{"user":"alice","item":"B001","action":"viewed","time":1700000000}
{"user":"alice","item":"B001","action":"purchased","time":1700000100,"value":19.99}

{"user":"bob","item":"B001","action":"rated","value":4,"time":"2024-01-02T03:04:05Z","text":"Solid, would buy again"}
END
"$PORTRAIT" events add ev.ndjson --batch 2
echo '[{"user":"carol","item":"B002","action":"carted","time":1700000200},{"user":"carol","item":"B003","time":1700000300}]' |
  "$PORTRAIT" events add - 2>/dev/null
"$PORTRAIT" events status
"$PORTRAIT" stats | sed -n '2,4p'
"$PORTRAIT" profile --user alice --format json | grep -o '"events":[0-9]*' | head -1
echo '{"user":"dave","item":"B001","colour":"red"}' | "$PORTRAIT" events add -; echo "unknown field: $?"
echo '{"user":"dave","item":"B001","action":"jump"}' | "$PORTRAIT" events add - 2>/dev/null; echo "bad action: $?"
printf '{"user":"dave","item":"B009","time":5}\n{"user":"dave"\n' | "$PORTRAIT" events add -; echo "bad line: $?"
"$PORTRAIT" events add - < /dev/null 2>/dev/null; echo "no input: $?"
"$PORTRAIT" events 2>/dev/null; echo "no subcommand: $?"
"$PORTRAIT" compact
"$PORTRAIT" events status
"$PORTRAIT" verify | sed 's/^.*: ok/ok/'
"$PORTRAIT" erase --user bob
"$PORTRAIT" erase --user bob 2>&1 | sed "s#$PWD/##"; echo "erase again: ${PIPESTATUS[0]}"
"$PORTRAIT" events status
if grep -rqa -e bob -e 'would buy again' store.db; then echo "bob still in the files"; else echo "no byte of bob left"; fi
"$PORTRAIT" verify | sed 's/^.*: ok/ok/'
