"""Merge the jurisdiction labels into the corpus: `jurisdiction` and `authority` columns.

Inputs, all committed under `training/data/labels/jurisdiction/`:
- `selection.csv`: the corpus ids chosen for labelling (all of test, the rest from
  train and validation, every pool), with their split and batch;
- `j*.tsv`: first labels, one batch per helper session (n, id, jurisdiction, authority[, note]);
- `k*.tsv`: a blind second label of ~10 % of them;
- `annotators.json`: batch -> the helper session that labelled it;
- `adjudication.tsv`: where first and second labels disagree, the guide's answer and why.

Authorities are compared and stored in the authorities table's canonical spelling
("U.S. SEC" -> "SEC", "central bank" of Russia -> "Bank of Russia"), so agreement and
accuracy measure what was meant, not how it was spelt. Rows never labelled stay empty.

Called by `training/assemble.py` (`add_jurisdiction(corpus)`); joins on the corpus `id`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from classifier.gazetteer import NONE, Gazetteer, build_gazetteer
from training.data import CORPUS_DIR

LABELS_DIR = CORPUS_DIR / "labels" / "jurisdiction"
AGREEMENT_FILE = CORPUS_DIR / "jurisdiction_agreement.json"
COLUMNS = ["n", "id", "jurisdiction", "authority", "note"]


def read_batches(labels_dir: Path, prefix: str) -> pd.DataFrame:
    """Every label line of the batches whose names start with `prefix`, with batch and annotator."""
    annotators = json.loads((labels_dir / "annotators.json").read_text())
    frames = []
    for path in sorted(labels_dir.glob(f"{prefix}*.tsv")):
        frame = pd.read_csv(
            path, sep="\t", header=None, names=COLUMNS, dtype=str, quoting=3, on_bad_lines="error"
        )
        frame["batch"] = path.stem
        frame["annotator"] = annotators[path.stem]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "batch", "annotator"])
    labels = pd.concat(frames, ignore_index=True)
    labels["jurisdiction"] = labels["jurisdiction"].str.strip()
    labels["authority"] = labels["authority"].str.strip()
    missing = labels[labels["jurisdiction"].isna() | labels["authority"].isna()]
    if len(missing):
        raise ValueError(
            f"labels without a jurisdiction or authority: {missing[['batch', 'n']].head().to_dict('records')}"
        )
    return labels


def normalise(labels: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Jurisdiction codes as the guide writes them, authorities in the table's canonical spelling."""
    out = labels.copy()
    codes = out["jurisdiction"].where(out["jurisdiction"].str.lower() != NONE, NONE)
    out["jurisdiction"] = codes.str.upper().where(codes != NONE, NONE)
    out["authority"] = [
        gazetteer.canonical(j, a) for j, a in zip(out["jurisdiction"], out["authority"], strict=True)
    ]
    # "none" exactly when the jurisdiction is none (the guide); a lone "none" authority becomes generic
    acting = out["jurisdiction"] != NONE
    out.loc[acting & (out["authority"] == NONE), "authority"] = "government"
    out.loc[~acting, "authority"] = NONE
    return out


def agreement(first: pd.DataFrame, second: pd.DataFrame) -> dict:
    """Cohen's kappa and raw agreement, for jurisdiction and for authority, on doubly labelled rows."""
    pair = first.merge(second, on="id", suffixes=("_a", "_b"))
    both_acting = (pair["jurisdiction_a"] != NONE) & (pair["jurisdiction_b"] != NONE)
    out = {"n_double_labelled": len(pair)}
    for field in ("jurisdiction", "authority"):
        a, b = pair[f"{field}_a"], pair[f"{field}_b"]
        out[field] = {
            "kappa": float(cohen_kappa_score(a, b)),
            "raw_agreement": float((a == b).mean()),
            "disagreements": int((a != b).sum()),
        }
    out["none_vs_acting"] = {
        "kappa": float(cohen_kappa_score(pair["jurisdiction_a"] == NONE, pair["jurisdiction_b"] == NONE)),
        "raw_agreement": float(((pair["jurisdiction_a"] == NONE) == (pair["jurisdiction_b"] == NONE)).mean()),
    }
    out["authority_where_both_say_an_authority_acts"] = {
        "n": int(both_acting.sum()),
        "raw_agreement": float(
            (pair.loc[both_acting, "authority_a"] == pair.loc[both_acting, "authority_b"]).mean()
        ),
    }
    out["batches"] = {
        "first": sorted(first["batch"].unique().tolist()),
        "second": sorted(second["batch"].unique().tolist()),
    }
    return out


def read_adjudication(labels_dir: Path) -> pd.DataFrame:
    path = labels_dir / "adjudication.tsv"
    if not path.is_file():
        return pd.DataFrame(columns=["jurisdiction", "authority", "reason"]).rename_axis("id")
    return pd.read_csv(path, sep="\t", dtype=str, quoting=3).set_index("id")


def jurisdiction_labels(
    labels_dir: Path = LABELS_DIR, gazetteer: Gazetteer | None = None
) -> tuple[pd.DataFrame, dict]:
    """Final (id, jurisdiction, authority) per labelled row, and the agreement statistics."""
    gazetteer = gazetteer or build_gazetteer()
    selection = pd.read_csv(labels_dir / "selection.csv", dtype=str)
    first = normalise(read_batches(labels_dir, "j"), gazetteer)
    second = normalise(read_batches(labels_dir, "k"), gazetteer)
    for name, frame in (("first", first), ("second", second)):
        twice = frame["id"][frame["id"].duplicated()]
        if len(twice):
            raise ValueError(f"ids with two {name} labels: {twice.head().tolist()}")
    unknown = sorted(set(first["id"]) - set(selection["id"]))
    if unknown:
        raise ValueError(f"{len(unknown)} labelled ids are not in selection.csv, e.g. {unknown[:5]}")
    stats = agreement(first, second)

    final = first.set_index("id")[["jurisdiction", "authority", "batch", "annotator"]]
    pair = first.merge(second, on="id", suffixes=("_a", "_b")).set_index("id")
    disagree = pair.index[
        (pair["jurisdiction_a"] != pair["jurisdiction_b"]) | (pair["authority_a"] != pair["authority_b"])
    ]
    adjudicated = normalise(read_adjudication(labels_dir).reset_index(), gazetteer).set_index("id")
    pending = sorted(set(disagree) - set(adjudicated.index))
    if pending:
        raise ValueError(
            f"{len(pending)} jurisdiction disagreements lack an adjudication, e.g. {pending[:5]}"
        )
    final.loc[disagree, ["jurisdiction", "authority"]] = adjudicated.loc[
        disagree, ["jurisdiction", "authority"]
    ].to_numpy()
    stats["adjudicated"] = len(disagree)
    stats["n_labelled"] = len(final)
    stats["by_split"] = selection.set_index("id").loc[final.index, "split"].value_counts().to_dict()
    stats["none_share"] = float((final["jurisdiction"] == NONE).mean())
    return final.reset_index(), stats


def add_jurisdiction(
    corpus: pd.DataFrame, labels_dir: Path = LABELS_DIR, out_dir: Path = CORPUS_DIR
) -> pd.DataFrame:
    """The corpus with `jurisdiction` and `authority` columns (empty where unlabelled).

    Also writes `jurisdiction_agreement.json` beside the corpus.
    """
    labels, stats = jurisdiction_labels(labels_dir)
    missing = sorted(set(labels["id"]) - set(corpus["id"]))
    if missing:
        raise ValueError(
            f"{len(missing)} jurisdiction-labelled ids are not in the corpus, e.g. {missing[:5]}"
        )
    by_id = labels.set_index("id")
    out = corpus.copy()
    out["jurisdiction"] = out["id"].map(by_id["jurisdiction"])
    out["authority"] = out["id"].map(by_id["authority"])
    (Path(out_dir) / AGREEMENT_FILE.name).write_text(json.dumps(stats, indent=2) + "\n")
    return out


def disagreements(labels_dir: Path = LABELS_DIR) -> pd.DataFrame:
    """The doubly labelled rows whose two labels differ, for adjudication by reading each item."""
    gazetteer = build_gazetteer()
    first = normalise(read_batches(labels_dir, "j"), gazetteer)
    second = normalise(read_batches(labels_dir, "k"), gazetteer)
    pair = first.merge(second, on="id", suffixes=("_a", "_b"))
    differ = (pair["jurisdiction_a"] != pair["jurisdiction_b"]) | (pair["authority_a"] != pair["authority_b"])
    return pair.loc[
        differ, ["id", "jurisdiction_a", "authority_a", "jurisdiction_b", "authority_b", "note_a", "note_b"]
    ]


if __name__ == "__main__":
    print(disagreements().to_string())
