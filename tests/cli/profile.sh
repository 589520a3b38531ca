# Profiles: one user's JSON (interests with evidence, behaviour, RFM, similar users,
# recommendations with paths), Turtle through Redland, every user as JSON lines, bad input.
"$PORTRAIT_GEN" --triples 3000 --seed 5 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
"$PORTRAIT" profile --user 3 --top 3 --similar 2 --recs 1
"$PORTRAIT" profile --user 3 --format turtle --top 2 > p.ttl
rapper -i turtle -c p.ttl 2>&1 | grep -o 'returned [0-9]* triples'
"$PORTRAIT" profiles --all --recs 0 --out all.jsonl 2>/dev/null
wc -l < all.jsonl
grep -c '"cold_start":true' all.jsonl
"$PORTRAIT" profile --user nobody 2>/dev/null; echo "unknown user: $?"
"$PORTRAIT" profile --user 3 --format xml 2>/dev/null; echo "bad format: $?"
