# A broken file after a good one: exit 2, file:line in the message, and the store exactly as it
# was (stats before and after are the same, generation too).
"$PORTRAIT_GEN" --triples 1000 --seed 3 --format ntriples --out good.nt 2>/dev/null
"$PORTRAIT" import --quiet good.nt
"$PORTRAIT" stats --format json > before.json
printf '<http://x/a> <http://x/b> <http://x/c> .\n<http://x/a> <http://x/b> "unterminated .\n' > bad.nt
"$PORTRAIT" import bad.nt 2> err.txt
echo "bad import exit $?"
grep -c 'bad.nt:2' err.txt
grep -c 'store is unchanged' err.txt
"$PORTRAIT" stats --format json > after.json
cmp before.json after.json && echo "stats unchanged"
printf 'user,item,rating\nu1,i1,5\nu2,i2,notanumber\n' > ev.csv
"$PORTRAIT" import --strict --map user=user,item=item,value=rating ev.csv 2> err2.txt
echo "strict import exit $?"
grep -c 'ev.csv:3' err2.txt
"$PORTRAIT" stats --format json > after2.json
cmp before.json after2.json && echo "stats unchanged"
"$PORTRAIT" import --map user=user,item=item,value=rating ev.csv 2> err3.txt > /dev/null
echo "lenient import exit $?"
grep -o '1 skipped' err3.txt
