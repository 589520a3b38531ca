# Export after import gives the same triple set; importing the export again changes nothing.
"$PORTRAIT_GEN" --triples 1000 --seed 3 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
"$PORTRAIT" export --format ntriples --out a.nt
"$PORTRAIT" --store second.db import --quiet a.nt
"$PORTRAIT" --store second.db export --format ntriples | sort > b.nt
sort a.nt > a.sorted
cmp a.sorted b.nt && echo "ntriples round trip: same $(wc -l < b.nt) triples"
"$PORTRAIT" export --format turtle --out a.ttl
"$PORTRAIT" --store third.db import --quiet a.ttl
"$PORTRAIT" --store third.db export --format ntriples | sort > c.nt
cmp a.sorted c.nt && echo "turtle round trip: same"
rapper -i turtle -c a.ttl 2>&1 | grep -o 'returned [0-9]* triples' || true
