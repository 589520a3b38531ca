# A user's purchases and ratings, one hop, as TSV; then two hops through items to categories.
"$PORTRAIT_GEN" --triples 1000 --seed 3 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
"$PORTRAIT" neighborhood --node 1 --predicates purchased,rated,viewed --format tsv --direction out
"$PORTRAIT" neighborhood --node 1 --hops 2 --predicates viewed,inCategory --direction out --format json \
  | tr ',' '\n' | grep -c '"hop":2'
# Filters: the class of what is shown, a weight floor, a time window.
"$PORTRAIT" neighborhood --node 1 --hops 2 --class Category --direction out --format tsv | cut -f1,3,4
"$PORTRAIT" neighborhood --node 1 --predicates viewed,clicked --since 2026-06-01 --until 2026-06-30 \
  --format tsv | cut -f3,4,6
"$PORTRAIT" neighborhood --node 1 --min-weight 2 --format tsv | wc -l
