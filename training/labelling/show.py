"""Print items START..END (inclusive, 1-based n) of a labelling batch for reading.
usage: python3 /work/labelling/show.py BATCH START END    e.g. show.py p03 1 30"""
import json, sys
batch, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f"/work/labelling/batches/{batch}.jsonl", encoding="utf-8") as fh:
    for line in fh:
        item = json.loads(line)
        if start <= item["n"] <= end:
            print(f"### n={item['n']} id={item['id']}\n{item['text']}\n")
