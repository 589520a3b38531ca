# Recommendations on a generated shop: TSV lines, JSON with explanation paths, the popular
# fallback for an unknown user, bad input, and an offline evaluation.
"$PORTRAIT_GEN" --triples 3000 --seed 5 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
"$PORTRAIT" recommend --user 3 --k 5
"$PORTRAIT" recommend --user 3 --k 2 --explain --format json | tr '{' '\n' | grep -c '"share"'
"$PORTRAIT" recommend --user nobody --k 3 --format json 2>/dev/null | grep -o '"popular":true' | head -1
"$PORTRAIT" recommend --user 3 --k 0 2>/dev/null; echo "k 0: $?"
"$PORTRAIT" recommend --users missing.txt 2>/dev/null; echo "unreadable users file: $?"
"$PORTRAIT" explain --user 3 --item 999999 2>/dev/null; echo "unknown item: $?"
"$PORTRAIT" explain --user 3 --item "$("$PORTRAIT" recommend --user 3 --k 1 | cut -f2)" \
  --format dot | grep -c -- '->'
"$PORTRAIT" eval --split leave-last-out --k 10 --format json | tr ',' '\n' | grep -c NDCG
