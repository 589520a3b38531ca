# portrait text: train, eval and predict on a small labelled file; tokenize and keywords;
# the bad inputs a user meets (missing column, unknown label at eval, corrupt model, invalid
# UTF-8), each with its exit code. Scores are rounded: they are floating-point results.
D="$SRC/tests/data/nlp"
"$PORTRAIT" text train --data "$D/reviews.csv" --model s.model --seed 1 2>&1 | sed 's/ in [0-9.]* m\?s / /'
"$PORTRAIT" text eval --model s.model --data "$D/reviews.csv" | head -2
printf 'great phone, lasts forever\nterrible screen, broken\n' | "$PORTRAIT" text predict --model s.model |
  sed -E 's/"(score|prob)":(-?[0-9]+\.[0-9]{1})[0-9]*/"\1":\2/g'
printf '手机很好，电池耐用。Price $19.99 at https://shop.example/x\n' | "$PORTRAIT" text tokenize
printf 'red wine glass\nred wine bottle\nblue glass\n' | "$PORTRAIT" text keywords --top 2
echo "--- bad input"
"$PORTRAIT" text train --data "$D/reviews.csv" --label-col nosuch --model x.model 2>&1 | sed "s|$SRC/||"
echo "exit ${PIPESTATUS[0]}"
printf 'label,review\nmaybe,fine\n' > unknown.csv
"$PORTRAIT" text eval --model s.model --data unknown.csv 2>&1; echo "exit $?"
head -c 100 s.model > broken.model
"$PORTRAIT" text predict --model broken.model < /dev/null 2>&1; echo "exit $?"
printf 'great battery\n\377\376 bad bytes\n' | "$PORTRAIT" text predict --model s.model 2>&1 |
  sed -E 's/"(score|prob)":(-?[0-9]+\.[0-9]{1})[0-9]*/"\1":\2/g'
echo "exit ${PIPESTATUS[1]}"
