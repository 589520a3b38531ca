# A user's purchases and ratings, one hop, as TSV; then two hops through items to categories.
"$PORTRAIT_GEN" --triples 1000 --seed 3 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
"$PORTRAIT" neighborhood --node 1 --predicates purchased,rated,viewed --format tsv --direction out
"$PORTRAIT" neighborhood --node 1 --hops 2 --predicates viewed,inCategory --direction out --format json \
  | tr ',' '\n' | grep -c '"hop":2'
