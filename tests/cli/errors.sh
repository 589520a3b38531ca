# Exit codes: 1 usage, 2 bad input, 3 not found, 4 store error.
"$PORTRAIT" --store nowhere.db stats 2>/dev/null; echo "missing store: $?"
"$PORTRAIT" frobnicate 2>/dev/null; echo "unknown command: $?"
"$PORTRAIT" stats --bogus 2>/dev/null; echo "unknown option: $?"
"$PORTRAIT" import 2>/dev/null; echo "no file: $?"
"$PORTRAIT" import /nonexistent/file.nt 2>/dev/null; echo "unreadable file: $?"
"$PORTRAIT" import data.unknownext 2>/dev/null; echo "unknown format: $?"
printf '<http://x/a> <http://x/b> <http://x/c> .\n' > one.nt
"$PORTRAIT" import --quiet one.nt
"$PORTRAIT" neighborhood --node http://x/zzz 2>/dev/null; echo "unknown node: $?"
"$PORTRAIT" neighborhood --node http://x/a --hops 0 2>/dev/null; echo "hops 0: $?"
"$PORTRAIT" neighborhood --node http://x/a --predicates pt:nothing 2>/dev/null; echo "unknown predicate: $?"
"$PORTRAIT" export --format jsonld 2>/dev/null; echo "bad export format: $?"
"$PORTRAIT" eval bogus 0.5 --method rp3b 2>&1; echo "stray argument: $?"
"$PORTRAIT" stats --top 3 -- extra 2>&1; echo "argument after --: $?"
"$PORTRAIT" --version | sed 's/[0-9][0-9.]*/X/'
for c in import stats neighborhood export verify; do
  "$PORTRAIT" "$c" --help | head -1 | cut -c1-30
done
"$PORTRAIT" --help | awk '/^  [a-z]/ {print $1}'
