# Keyword tags and review sentiment into the store: counts, idempotence (a second run adds
# nothing), and the likes/dislikes a profile shows afterwards.
"$PORTRAIT_GEN" --triples 3000 --seed 5 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
"$PORTRAIT" text train --task sentiment --data "$SRC/tests/data/nlp/reviews.csv" \
  --text-col review --label-col label --model sent.model > /dev/null 2>&1
"$PORTRAIT" tag --model sent.model | sed 's/tagged in [0-9.]* m\?s/tagged/'
"$PORTRAIT" stats --format json > a.json
"$PORTRAIT" tag --model sent.model | sed 's/tagged in [0-9.]* m\?s/tagged/'
"$PORTRAIT" stats --format json | sed 's/"generation":[0-9]*//' > b.json
sed -i 's/"generation":[0-9]*//' a.json
cmp a.json b.json && echo "second run: graph unchanged"
"$PORTRAIT" tag --model missing.model 2>/dev/null; echo "missing model: $?"
