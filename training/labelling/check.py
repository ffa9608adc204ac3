"""Check a labels file against its batch: every n present once, id matches, label valid.
usage: python3 /work/labelling/check.py BATCH"""
import json, sys
batch = sys.argv[1]
items = {}
with open(f"/work/labelling/batches/{batch}.jsonl", encoding="utf-8") as fh:
    for line in fh:
        it = json.loads(line); items[it["n"]] = it["id"]
seen, problems = {}, []
with open(f"/work/labelling/out/{batch}.tsv", encoding="utf-8") as fh:
    for k, line in enumerate(fh, 1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3:
            problems.append(f"line {k}: need n<TAB>id<TAB>label[<TAB>note]: {line!r}"); continue
        n, id_, label = int(parts[0]), parts[1], parts[2]
        if items.get(n) != id_: problems.append(f"line {k}: n={n} id {id_} does not match batch id {items.get(n)}")
        if label not in ("adoption", "restriction", "neutral"): problems.append(f"line {k}: bad label {label!r}")
        if n in seen: problems.append(f"line {k}: n={n} labelled twice (first on line {seen[n]})")
        seen[n] = k
missing = sorted(set(items) - set(seen))
print(f"{len(seen)}/{len(items)} labelled; missing: {missing[:40]}{' ...' if len(missing)>40 else ''}")
print("\n".join(problems[:30]) or "no problems")
