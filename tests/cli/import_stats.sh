# Import a generated shop, then print its stats as JSON: the counts are golden.
"$PORTRAIT_GEN" --triples 1000 --seed 3 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
echo "import exit $?"
"$PORTRAIT" stats --format json --top 8 | sed 's/"store":"[^"]*",//'
