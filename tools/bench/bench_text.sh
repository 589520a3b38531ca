#!/bin/sh
# bench_text.sh - the NLP module against the scikit-learn/jieba reference, in one run so the
# speed ratios compare like with like on a shared machine (REFERENCE.md, Text section).
#
# usage: tools/bench/bench_text.sh [PORTRAIT_BINARY] [DATA_DIR]
#   defaults: build-nlp/portrait and ../shared/data
# Environment: SKIP_CATEGORY_REF=1 skips scikit-learn's 10-class fit (the slowest part);
#              SKIP_AUGMENT=1 skips the 500-row augmentation experiment.
# Needs /usr/bin/python3 with python3-sklearn and python3-jieba (Debian). Prints Markdown rows
# for docs/BENCHMARKS.md. Times are wall seconds with CPU (user+sys) seconds beside them.
set -eu
BIN=${1:-build-nlp/portrait}
DATA=${2:-../shared/data}
PY=/usr/bin/python3
HERE=$(dirname "$0")
ZH=$DATA/zh-reviews
SHOP=$ZH/online_shopping_10_cats.dev.csv
HTL=$ZH/ChnSentiCorp_htl_all.csv
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_text.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

# Run a command (its output discarded) and print its "wall cpu" seconds.
timed() {
    /usr/bin/time -f "%e %U %S" -o "$TMP/time" "$@" > /dev/null
    awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$TMP/time"
}

# Accuracy and macro-F1 of a model on the reference test rows of a file.
evaluate() { # model file label-col
    "$BIN" text eval --model "$1" --data "$2" --label-col "$3" --split-every 5 --format json |
        $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["accuracy"], d["macro_f1"])'
}

echo "## Text (bench_text.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| data | task | system | features | accuracy | macro-F1 | fit wall s | fit CPU s |"
echo "|---|---|---|---|---|---|---|---|"

# 1. sentiment on online_shopping_10_cats, reference split
REF=$($PY "$HERE/bench_text.py" ref "$SHOP" review label words "$TMP/jieba.txt")
echo "$REF" > "$TMP/ref_words.json"
echo "$REF" | $PY -c 'import json,sys; d=json.load(sys.stdin); print("| online_shopping | sentiment | sklearn TF-IDF+LR (C 4) | jieba words 1-2 |", d["accuracy"], "|", d["macro_f1"], "|", d["fit_s"], "|", d["fit_cpu_s"], "|")'
for cfg in "default:" "words:--word-ngrams 2"; do
    name=${cfg%%:*}
    args=${cfg#*:}
    # shellcheck disable=SC2086
    T=$(timed "$BIN" text train --task sentiment --data "$SHOP" --model "$TMP/s.ptm" --split-every 5 $args)
    E=$(evaluate "$TMP/s.ptm" "$SHOP" label)
    feat="chars 1-3 (the sentiment default)"
    [ "$name" = words ] && feat="ICU words 1-2 + chars 1-3"
    echo "| online_shopping | sentiment | portrait ($name) | $feat | ${E% *} | ${E#* } | ${T% *} | ${T#* } |"
done

# 2. category (10 classes)
if [ "${SKIP_CATEGORY_REF:-0}" != 1 ]; then
    $PY "$HERE/bench_text.py" ref "$SHOP" review cat chars | $PY -c 'import json,sys; d=json.load(sys.stdin); print("| online_shopping | category | sklearn TF-IDF+LR (C 4) | chars 1-2 |", d["accuracy"], "|", d["macro_f1"], "|", d["fit_s"], "|", d["fit_cpu_s"], "|")'
fi
T=$(timed "$BIN" text train --task category --data "$SHOP" --label-col cat --model "$TMP/c.ptm" --split-every 5)
E=$(evaluate "$TMP/c.ptm" "$SHOP" cat)
echo "| online_shopping | category | portrait (default) | ICU words 1-2 + chars 1-3 | ${E% *} | ${E#* } | ${T% *} | ${T#* } |"

# 3. ChnSentiCorp
$PY "$HERE/bench_text.py" ref "$HTL" review label words | $PY -c 'import json,sys; d=json.load(sys.stdin); print("| ChnSentiCorp | sentiment | sklearn TF-IDF+LR (C 4) | jieba words 1-2 |", d["accuracy"], "|", d["macro_f1"], "|", d["fit_s"], "|", d["fit_cpu_s"], "|")'
T=$(timed "$BIN" text train --data "$HTL" --model "$TMP/h.ptm" --split-every 5)
E=$(evaluate "$TMP/h.ptm" "$HTL" label)
echo "| ChnSentiCorp | sentiment | portrait (default) | chars 1-3 | ${E% *} | ${E#* } | ${T% *} | ${T#* } |"

# 4. segmentation: throughput against jieba (measured above, in-process) and word-boundary F1
$PY "$HERE/bench_text.py" texts "$SHOP" review "$TMP/texts.txt"
MB=$(wc -c < "$TMP/texts.txt" | awk '{printf "%.3f", $1 / 1e6}')
T=$("$BIN" text tokenize --raw --keep-punct < "$TMP/texts.txt" > "$TMP/ours.txt"; timed "$BIN" text tokenize --raw --keep-punct < "$TMP/texts.txt")
F1=$($PY "$HERE/bench_text.py" f1 "$TMP/ours.txt" "$TMP/jieba.txt")
echo
echo "| segmentation | MB | wall s | CPU s | MB/s (wall) | vs jieba | word-boundary P / R / F1 vs jieba |"
echo "|---|---|---|---|---|---|---|"
echo "$REF" | $PY -c 'import json,sys; d=json.load(sys.stdin); print("| jieba 0.42 (default mode, in-process) |", "'"$MB"'", "|", d["jieba_s"], "| - |", d["jieba_mb_s"], "| 1.0 | - |")'
J=$($PY -c 'import json; print(json.load(open("'"$TMP/ref_words.json"'"))["jieba_mb_s"])')
echo "$F1" | $PY -c 'import json,sys; f=json.load(sys.stdin); w, c = "'"${T% *}"'", "'"${T#* }"'"; mb = '"$MB"'; r = mb / float(w); print("| portrait text tokenize (ICU 72, incl. I/O) |", mb, "|", w, "|", c, "|", round(r, 3), "|", round(r / '"$J"', 1), "|", f["precision"], "/", f["recall"], "/", f["f1"], "|")'

# 5. augmentation: 500 labelled reviews, with and without EDA
if [ "${SKIP_AUGMENT:-0}" != 1 ]; then
    $PY "$HERE/bench_text.py" split "$SHOP" 500 "$TMP/head.csv" "$TMP/rest.csv"
    echo
    echo "| 500 training reviews (first 500 rows), test = all other rows | accuracy | macro-F1 |"
    echo "|---|---|---|"
    for aug in 0 4; do
        "$BIN" text train --data "$TMP/head.csv" --model "$TMP/a.ptm" --augment $aug > /dev/null
        E=$("$BIN" text eval --model "$TMP/a.ptm" --data "$TMP/rest.csv" --format json |
            $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["accuracy"], d["macro_f1"])')
        echo "| online_shopping, --augment $aug | ${E% *} | ${E#* } |"
    done
    # English: Amazon All_Beauty (overall >= 4 positive, <= 2 negative), WordNet synonyms
    AMZ=$DATA/amazon-all-beauty/All_Beauty_5.json.gz
    if [ -r "$AMZ" ]; then
        # every review, reference split; then unique texts only (the 5-core file repeats 94% of
        # the test texts in training)
        for dd in 0 1; do
            $PY "$HERE/bench_text.py" amazon "$AMZ" 0 "$TMP/en_none.csv" "$TMP/en_all.csv" $dd
            "$BIN" text train --data "$TMP/en_all.csv" --model "$TMP/en.ptm" --split-every 5 > /dev/null
            E=$(evaluate "$TMP/en.ptm" "$TMP/en_all.csv" label)
            echo "| All_Beauty (English) sentiment, reference split, unique texts only: $dd | ${E% *} | ${E#* } |"
        done
    fi
    if [ -r "$AMZ" ] && [ -r /usr/share/wordnet/data.noun ]; then
        $PY "$HERE/bench_text.py" amazon "$AMZ" 500 "$TMP/en_head.csv" "$TMP/en_rest.csv"
        for aug in "0" "4 --wordnet /usr/share/wordnet"; do
            # shellcheck disable=SC2086
            "$BIN" text train --data "$TMP/en_head.csv" --model "$TMP/e.ptm" --augment $aug > /dev/null
            E=$("$BIN" text eval --model "$TMP/e.ptm" --data "$TMP/en_rest.csv" --format json |
                $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["accuracy"], d["macro_f1"])')
            echo "| All_Beauty (English, 96% positive), --augment $aug | ${E% *} | ${E#* } |"
        done
    fi
fi
