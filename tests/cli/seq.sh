# The sequence model on a generated shop: training (epoch lines, timings masked), the model
# file, user vectors in the store, recommend --model seq|hybrid, eval --model, and bad input
# (missing --seq-model, corrupt and foreign model files, bad options). Scores are not printed:
# they are floats that may differ in the last digits between builds.
"$PORTRAIT_GEN" --triples 3000 --seed 5 --format turtle --out shop.ttl 2>/dev/null
"$PORTRAIT" import --quiet --base https://shop.example/ shop.ttl
"$PORTRAIT" seq train --epochs 3 --dim 8 --seed 1 --blend 0.4 --model m.seq |
  sed -e 's/  [0-9.]* m\{0,1\}s$//' -e 's/in [0-9.]* m\{0,1\}s:/in T:/' -e 's/loss [0-9.]*/loss X/'
"$PORTRAIT" seq info --model m.seq
"$PORTRAIT" export --format ntriples | grep -c 'sequenceEmbedding'
"$PORTRAIT" profile --user 3 --recs 0 --similar 0 |
  grep -o '"embedding":{"predicate":"pt:sequenceEmbedding","source":"stored","dim":16,'
# the profile as RDF carries the same vector as the export (one match)
v=$("$PORTRAIT" profile --user 3 --recs 0 --similar 0 --format turtle |
  sed -n 's/.*pt:sequenceEmbedding "\([^"]*\)"^^pt:f32vector.*/\1/p')
"$PORTRAIT" export --format ntriples | grep -F "/user/3> " | grep -cF "\"$v\"^^"
"$PORTRAIT" recommend --user 3 --k 5 --model seq --seq-model m.seq | wc -l
"$PORTRAIT" recommend --user 3 --k 4 --model hybrid --seq-model m.seq --format json |
  grep -o '"model":"hybrid"'
"$PORTRAIT" recommend --user nobody --k 3 --model seq --seq-model m.seq --format json 2>/dev/null |
  grep -o '"popular":true' | head -1
"$PORTRAIT" eval --model seq --epochs 2 --dim 8 --format json | tr ',' '\n' | grep -c NDCG
"$PORTRAIT" recommend --user 3 --model seq 2>&1; echo "no --seq-model: $?"
"$PORTRAIT" recommend --user 3 --model deep --seq-model m.seq 2>&1; echo "bad model: $?"
cp m.seq bad.seq
printf 'X' | dd of=bad.seq bs=1 seek=200 conv=notrunc 2>/dev/null
"$PORTRAIT" recommend --user 3 --model seq --seq-model bad.seq 2>&1; echo "corrupt: $?"
"$PORTRAIT" seq info --model shop.ttl 2>&1; echo "foreign: $?"
"$PORTRAIT" seq info --model nothing.seq 2>&1; echo "missing: $?"
"$PORTRAIT" seq train --model x.seq --augment crop,shuffle 2>&1; echo "bad augment: $?"
"$PORTRAIT" seq train --model x.seq --L 0 2>&1; echo "L 0: $?"
"$PORTRAIT" seq train 2>&1; echo "no model: $?"
"$PORTRAIT" seq fly 2>&1; echo "bad verb: $?"
