# portrait cnn: train / eval / embed on tiny IDX files written here, the bad-input exit codes
# (truncated IDX, label mismatch, wrong size, corrupt and foreign model, NaN), and embed's
# idempotence (a second run leaves the graph as it was).
idx3() { # file n h w: an IDX image header
  printf '\000\000\010\003' > "$1"
  for v in "$2" "$3" "$4"; do printf "\\$(printf %03o $((v>>24&255)))\\$(printf %03o $((v>>16&255)))\\$(printf %03o $((v>>8&255)))\\$(printf %03o $((v&255)))" >> "$1"; done
}
idx1() { # file n
  printf '\000\000\010\001' > "$1"
  v=$2; printf "\\$(printf %03o $((v>>24&255)))\\$(printf %03o $((v>>16&255)))\\$(printf %03o $((v>>8&255)))\\$(printf %03o $((v&255)))" >> "$1"
}
# 40 images of 6x6: even ones dark, odd ones light; labels 0/1 alternate
idx3 img.idx 40 6 6
lab=""
for i in $(seq 0 39); do
  if [ $((i % 2)) = 0 ]; then head -c 36 /dev/zero >> img.idx; else head -c 36 /dev/zero | tr '\000' '\310' >> img.idx; fi
done
idx1 lab.idx 40
for i in $(seq 0 19); do printf '\000\001' >> lab.idx; done
A="dense4 relu dense2"
"$PORTRAIT" cnn train --train-images img.idx --train-labels lab.idx --arch "$A" --epochs 5 --batch 4 \
  --threads 1 --classes dark,light --model m.bin 2>train.err | sed 's/ (.*//'
echo "train: $? $(grep -c "^epoch" train.err) epoch lines"
"$PORTRAIT" cnn eval --model m.bin --images img.idx --labels lab.idx --threads 1 --format json |
  sed 's/.*"accuracy": \([0-9.]*\), "images_per_s".*/accuracy \1/'
# bad input
head -c 100 img.idx > short.idx
"$PORTRAIT" cnn train --train-images short.idx --train-labels lab.idx --model x.bin 2>e; echo "truncated idx: $? $(grep -o 'truncated IDX file' e)"
idx1 lab39.idx 39; head -c 39 /dev/zero >> lab39.idx
"$PORTRAIT" cnn train --train-images img.idx --train-labels lab39.idx --model x.bin 2>e; echo "label mismatch: $? $(grep -o '39 labels but' e)"
"$PORTRAIT" cnn eval --model m.bin --images lab.idx --labels lab.idx 2>e; echo "labels as images: $? $(grep -o 'not an IDX image file' e)"
idx3 big.idx 2 7 7; head -c 98 /dev/zero >> big.idx; idx1 lab2.idx 2; printf '\000\001' >> lab2.idx
"$PORTRAIT" cnn eval --model m.bin --images big.idx --labels lab2.idx 2>e; echo "wrong size: $? $(grep -o 'images are 7x7' e)"
cp m.bin bad.bin; printf 'X' | dd of=bad.bin bs=1 seek=60 conv=notrunc 2>/dev/null
"$PORTRAIT" cnn eval --model bad.bin --images img.idx --labels lab.idx 2>e; echo "corrupt model: $? $(grep -o 'CRC mismatch' e)"
"$PORTRAIT" cnn eval --model img.idx --images img.idx --labels lab.idx 2>e; echo "foreign model: $? $(grep -o 'not a Portrait CNN model' e)"
"$PORTRAIT" cnn train --train-images img.idx --train-labels lab.idx --arch "$A" --lr 1e30 --batch 4 --threads 1 --model x.bin 2>e; echo "nan: $? $(grep -o 'NaN or infinite at epoch [0-9]*, step [0-9]*' e)"
test -e x.bin || echo "no model written"
"$PORTRAIT" cnn train --train-images img.idx --train-labels lab.idx --arch "conv4k9 dense2" --model x.bin 2>e; echo "arch too big: $? $(grep -o 'smaller than kernel' e)"
"$PORTRAIT" cnn frob 2>/dev/null; echo "unknown verb: $?"
"$PORTRAIT" cnn train --train-labels lab.idx --model x.bin 2>/dev/null; echo "no images: $?"
# embed: three known items and two new ones, by IDX index
printf '<http://x/item/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/portrait/ns#Item> .\n<http://x/item/2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/portrait/ns#Item> .\n<http://x/item/3> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/portrait/ns#Item> .\n' > shop.nt
"$PORTRAIT" import --quiet shop.nt
printf '# item image\nhttp://x/item/1 0\nhttp://x/item/2 1\nhttp://x/item/3 2\nhttp://x/item/new1 3\nhttp://x/item/new2\t4\n' > map.txt
"$PORTRAIT" cnn embed --model m.bin --images img.idx --map map.txt --k 2 --threads 1 | sed 's/ in [0-9.]* m\?s//; s/ [01]\.[0-9][0-9]$//; s/ *$//'
"$PORTRAIT" stats --format json | sed 's/"generation":[0-9]*//' > a.json
"$PORTRAIT" cnn embed --model m.bin --images img.idx --map map.txt --k 2 --threads 1 > /dev/null
"$PORTRAIT" stats --format json | sed 's/"generation":[0-9]*//' > b.json
cmp a.json b.json && echo "second embed: graph unchanged"
"$PORTRAIT" export --format ntriples | grep -c 'similarTo'
"$PORTRAIT" export --format ntriples | grep 'predictedCategory' | grep -c 'category/light'
printf 'http://x/item/1\n' > badmap.txt
"$PORTRAIT" cnn embed --model m.bin --images img.idx --map badmap.txt 2>e; echo "bad map: $? $(grep -o 'badmap.txt:1' e)"
printf 'http://x/item/1 99\n' > farmap.txt
"$PORTRAIT" cnn embed --model m.bin --images img.idx --map farmap.txt 2>e; echo "index out of range: $? $(grep -o 'out of range' e)"
