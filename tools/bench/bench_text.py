#!/usr/bin/python3
"""bench_text.py - the Python half of tools/bench/bench_text.sh (Debian python3-sklearn and
python3-jieba). Subcommands:

  ref FILE TEXT_COL LABEL_COL words|chars [SEG_OUT]
      The scikit-learn reference of /work/shared/data/REFERENCE.md (Text): rows whose 0-based
      data-row index is a multiple of 5 are test; TfidfVectorizer (sublinear tf, min_df 2) +
      LogisticRegression (C 4) on jieba words (uni+bigrams) or characters (uni+bigrams).
      Prints JSON: accuracy, macro-F1, fit seconds (TF-IDF + training, jieba excluded) and
      CPU seconds. With SEG_OUT (words only) writes jieba's segmentation, one text per line,
      and reports jieba's time and throughput.
  texts FILE TEXT_COL OUT
      Write the texts one per line (newlines inside a text become spaces).
  f1 OURS JIEBA
      Word-boundary F1 of our segmentation against jieba's over Chinese words: in each line the
      pure-Han tokens of both become spans over the line's sequence of Han characters.
  split FILE N HEAD_OUT REST_OUT
      Write the first N data rows and the rest as two CSV files (same header).
  amazon FILE.json.gz N HEAD_OUT REST_OUT
      Amazon reviews as sentiment CSV (label,review): overall >= 4 is 1, <= 2 is 0, 3 and
      empty texts dropped; the first N rows and the rest.
"""
import csv
import json
import sys
import time


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def ref(path, text_col, label_col, feats, seg_out=None):
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    rows = read_rows(path)
    texts = [r[text_col] or "" for r in rows]
    labels = [r[label_col] for r in rows]
    out = {"features": feats}
    if feats == "words":
        jieba.initialize()
        t0 = time.perf_counter()
        docs = [" ".join(jieba.lcut(t)) for t in texts]
        seg_s = time.perf_counter() - t0
        mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        out["jieba_s"] = round(seg_s, 2)
        out["jieba_mb_s"] = round(mb / seg_s, 3)
        if seg_out:
            with open(seg_out, "w", encoding="utf-8") as f:
                for d in docs:
                    f.write(d.replace("\n", " ").replace("\r", " ") + "\n")
        vec = TfidfVectorizer(tokenizer=str.split, token_pattern=None, ngram_range=(1, 2),
                              sublinear_tf=True, min_df=2)
    else:
        docs = texts
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    train = [i for i in range(len(rows)) if i % 5 != 0]
    test = [i for i in range(len(rows)) if i % 5 == 0]
    t0, c0 = time.perf_counter(), time.process_time()
    x = vec.fit_transform([docs[i] for i in train])
    clf = LogisticRegression(C=4, max_iter=1000)
    clf.fit(x, [labels[i] for i in train])
    out["fit_s"] = round(time.perf_counter() - t0, 2)
    out["fit_cpu_s"] = round(time.process_time() - c0, 2)
    pred = clf.predict(vec.transform([docs[i] for i in test]))
    gold = [labels[i] for i in test]
    out["accuracy"] = round(accuracy_score(gold, pred), 4)
    out["macro_f1"] = round(f1_score(gold, pred, average="macro"), 4)
    out["train"], out["test"] = len(train), len(test)
    print(json.dumps(out))


def texts(path, text_col, out):
    with open(out, "w", encoding="utf-8") as f:
        for r in read_rows(path):
            f.write((r[text_col] or "").replace("\n", " ").replace("\r", " ") + "\n")


def is_han(ch):
    c = ord(ch)
    return 0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF or 0x20000 <= c <= 0x2FFFF


def spans(line):
    pos, out = 0, set()
    for tok in line.split():
        h = sum(1 for ch in tok if is_han(ch))
        if h and h == len(tok):
            out.add((pos, pos + h))
        pos += h
    return out


def f1(ours, jieba):
    tp = n_o = n_j = 0
    with open(ours, encoding="utf-8") as a, open(jieba, encoding="utf-8") as b:
        for la, lb in zip(a, b):
            sa, sb = spans(la), spans(lb)
            tp += len(sa & sb)
            n_o += len(sa)
            n_j += len(sb)
    p, r = tp / max(n_o, 1), tp / max(n_j, 1)
    print(json.dumps({"precision": round(p, 4), "recall": round(r, 4),
                      "f1": round(2 * p * r / max(p + r, 1e-12), 4), "jieba_words": n_j}))


def split(path, n, head_out, rest_out):
    with open(path, encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        rows = list(rd)
    for out, part in ((head_out, rows[:n]), (rest_out, rows[n:])):
        with open(out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(part)


def amazon(path, n, head_out, rest_out, dedup="0"):
    """Reviews with overall >= 4 (label 1) or <= 2 (label 0): the first n to head_out, the
    rest to rest_out. With dedup "1", a review text seen before is dropped (the 5-core files
    repeat most texts under several products, which would leak test rows into training)."""
    import gzip
    rows, seen = [], set()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            text, score = d.get("reviewText") or "", d.get("overall")
            if score is None or score == 3 or not text:
                continue
            if dedup == "1":
                if text in seen:
                    continue
                seen.add(text)
            rows.append((1 if score >= 4 else 0, text))
    n = int(n)
    for out, part in ((head_out, rows[:n]), (rest_out, rows[n:])):
        with open(out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["label", "review"])
            w.writerows(part)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ref":
        ref(*args)
    elif cmd == "texts":
        texts(*args)
    elif cmd == "f1":
        f1(*args)
    elif cmd == "split":
        split(args[0], int(args[1]), args[2], args[3])
    elif cmd == "amazon":
        amazon(args[0], int(args[1]), args[2], args[3], *args[4:])
    else:
        sys.exit("bench_text.py: unknown subcommand " + cmd)
