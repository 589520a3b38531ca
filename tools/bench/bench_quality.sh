#!/bin/sh
# bench_quality.sh - recommendation quality on the reference data sets, as one markdown table.
#
# Imports MovieLens-100k, Amazon All_Beauty and Amazon Gift_Cards (5-core) into temporary
# stores, then runs `portrait eval` for protocol A (leave-last-out) and B (random 80/20) on the
# reference split files (../shared/data/splits: the exact rows behind REFERENCE.md), for every
# method this build offers. Walk methods are tuned with --tune on a validation split carved
# from the training rows (leave-last-out for A, random:0.2 for B): the test rows never choose a
# parameter. Prints the table on stdout, then per data set and protocol the method of CHOOSE
# whose tuned point scored the best mean validation NDCG@10 (chosen without the test rows),
# progress on stderr. docs/EVAL.md explains the columns.
#
# Environment:
#   PORTRAIT  the command (default build-eval/portrait, else build/portrait)
#   DATA      the data folder (default ../shared/data)
#   METHODS   methods to run (default "mostpop pop p3 rp3b pixie ppr ease hybrid itemknn";
#             mostpop only when the build has no walk engine)
#   SETS      data sets (default "ml-100k amazon-all-beauty amazon-gift-cards")
#   PROTOS    protocols (default "A B")
#   SPLITS    files (default: the reference rows) or own (portrait's own seeded splits)
#   TUNE      1 (default) tunes walk methods on the validation split; 0 uses the defaults
#   VAL_FOLDS validation folds averaged when tuning (portrait eval --val-folds; default 1)
#   CHOOSE    methods the per-row choice is made among (default "rp3b ease hybrid itemknn": the
#             exact models; pixie and ppr estimate or approximate them, p3 is rp3b at beta 0)
#   GRID_<method>  a --grid for one method, e.g. GRID_rp3b="alpha=0.6,0.8;beta=0.3,0.5"
#   KEEP      1 keeps the temporary stores and logs (their folder is printed)
set -eu
cd "$(dirname "$0")/../.."

P=${PORTRAIT:-}
if [ -z "$P" ]; then
    if [ -x build-eval/portrait ]; then P=build-eval/portrait; else P=build/portrait; fi
fi
test -x "$P" || { echo "bench_quality: no $P (build first, or set PORTRAIT)" >&2; exit 1; }
DATA=${DATA:-../shared/data}
test -d "$DATA/splits" || { echo "bench_quality: no $DATA/splits (set DATA)" >&2; exit 1; }
SETS=${SETS:-"ml-100k amazon-all-beauty amazon-gift-cards"}
PROTOS=${PROTOS:-"A B"}
SPLITS=${SPLITS:-files}
TUNE=${TUNE:-1}
VAL_FOLDS=${VAL_FOLDS:-1}
CHOOSE=${CHOOSE:-"rp3b ease hybrid itemknn"}
if [ -z "${METHODS:-}" ]; then
    if "$P" --store /nonexistent/pt.db eval --method p3 2>&1 | grep -q "no walk engine"; then
        METHODS=mostpop
    else
        METHODS="mostpop pop p3 rp3b pixie ppr ease hybrid itemknn"
    fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pt-bench-quality.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    echo "bench_quality: stores and logs kept in $TMP" >&2
else
    trap 'rm -rf "$TMP"' EXIT INT TERM
fi

# Import data set $1 into $TMP/$1.db.
import_set() {
    case $1 in
    ml-100k)
        "$P" --store "$TMP/$1.db" import --quiet --base https://movielens.org/ \
            --map user=1,item=2,value=3,time=4 --action rated "$DATA/ml-100k/u.data" ;;
    amazon-all-beauty)
        "$P" --store "$TMP/$1.db" import --quiet \
            --map user=reviewerID,item=asin,value=overall,time=unixReviewTime \
            "$DATA/amazon-all-beauty/All_Beauty_5.json.gz" ;;
    amazon-gift-cards)
        "$P" --store "$TMP/$1.db" import --quiet \
            --map user=reviewerID,item=asin,value=overall,time=unixReviewTime \
            "$DATA/amazon-gift-cards/Gift_Cards_5.json.gz" ;;
    *)
        echo "bench_quality: unknown data set $1" >&2; return 1 ;;
    esac
}

# The value of key $1 in the one-line JSON file $2 (numbers and plain strings only).
jget() {
    sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$2"
}

# Print x rounded to 4 decimals, or "-" when empty.
f4() {
    if [ -z "$1" ]; then echo "-"; else printf '%.4f' "$1"; fi
}

echo "| data | proto | method | params (tuned on validation) | val NDCG@10 | HR@10 | NDCG@10 |" \
     "Recall@20 | NDCG@20 | Cov@10 | MRR@10 | Gini@10 | Tail@10 | query s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
: > "$TMP/chosen"
for set in $SETS; do
    echo "bench_quality: importing $set" >&2
    import_set "$set" >&2
    for proto in $PROTOS; do
        if [ "$SPLITS" = own ]; then
            if [ "$proto" = A ]; then split="--split leave-last-out";
            else split="--split random:0.2 --seed 42"; fi
            val=""
        else
            sp="$DATA/splits/$set/$proto"
            split="--split-files ${sp}_train.csv,${sp}_test.csv"
            if [ "$proto" = A ]; then val="--val-split leave-last-out";
            else val="--val-split random:0.2"; fi
        fi
        for m in $METHODS; do
            tune=""
            if [ "$m" != mostpop ] && [ "$m" != pop ] && [ "$TUNE" = 1 ]; then
                tune="--tune --val-folds $VAL_FOLDS"
                grid=$(eval "echo \${GRID_$m:-}")
                if [ -n "$grid" ]; then tune="--tune --val-folds $VAL_FOLDS --grid $grid"; fi
            fi
            out="$TMP/$set-$proto-$m.json"
            echo "bench_quality: $set $proto $m $tune" >&2
            # shellcheck disable=SC2086
            if ! "$P" --store "$TMP/$set.db" eval $split $val --method "$m" $tune --k 10,20 \
                    --format json > "$out" 2> "$TMP/$set-$proto-$m.log"; then
                echo "| $set | $proto | $m | failed: $(tail -n 1 "$TMP/$set-$proto-$m.log") |" \
                     "| | | | | | | | | |"
                continue
            fi
            params=$(jget tuned "$out")
            if [ -z "$params" ]; then
                case $m in mostpop|pop) params="-" ;; *) params="defaults" ;; esac
            fi
            vndcg=$(jget val_ndcg "$out")
            echo "| $set | $proto | $m | $params | $(f4 "$vndcg") | $(f4 "$(jget Hit@10 "$out")") |" \
                 "$(f4 "$(jget NDCG@10 "$out")") | $(f4 "$(jget Recall@20 "$out")") |" \
                 "$(f4 "$(jget NDCG@20 "$out")") | $(f4 "$(jget ItemCoverage@10 "$out")") |" \
                 "$(f4 "$(jget MRR@10 "$out")") | $(f4 "$(jget GiniIndex@10 "$out")") |" \
                 "$(f4 "$(jget TailPercentage@10 "$out")") | $(jget queries "$out") |"
            if [ -n "$vndcg" ] && echo " $CHOOSE " | grep -q " $m "; then
                echo "$set $proto $vndcg $m $(jget NDCG@10 "$out") $params" >> "$TMP/chosen"
            fi
        done
    done
done
# Per data set and protocol, the tuned method with the best validation NDCG@10 (ties: the
# earlier method of METHODS); its test NDCG@10 is the figure to report.
echo
echo "| data | proto | chosen on validation among $CHOOSE | validation NDCG@10 ($VAL_FOLDS fold(s)) | test NDCG@10 | params |"
echo "|---|---|---|---|---|---|"
awk '{ key = $1 " " $2
       if (!(key in best) || $3 > best[key]) { best[key] = $3; line[key] = $0 }
       if (!(key in order)) { order[key] = ++n; keys[n] = key } }
     END { for (i = 1; i <= n; i++) { split(line[keys[i]], f, " "); p = ""
             for (j = 6; j <= length(f); j++) p = p (j > 6 ? " " : "") f[j]
             printf "| %s | %s | %s | %.4f | %.4f | %s |\n", f[1], f[2], f[4], f[3], f[5], p } }' \
    "$TMP/chosen"
