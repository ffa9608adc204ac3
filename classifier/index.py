"""The stance index: per period, how many articles went each way, and the net direction.

net_index = share of adoption - share of restriction, in [-1, 1]: above zero,
the period's news had authorities embracing crypto more than restricting it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from classifier.model import LABELS

FREQS = {"D": "D", "W": "W-SUN", "M": "M"}
BY = (None, "outlet", "jurisdiction")
FREQ_NAMES = {"D": "day", "W": "week (starting Monday)", "M": "month"}
#: Read when a scored file has them (bulk output gains `jurisdiction` with the jurisdiction step).
OPTIONAL_COLUMNS = ("jurisdiction",)
#: A period with fewer articles has no net-index point: a share of a handful of articles is noise.
MIN_PERIOD_ARTICLES = 20


def read_scored(paths: list[Path], by: str | None = None) -> pd.DataFrame:
    """The label, date and outlet of every scored row (Parquet or JSONL from `regstance score`).

    Also the OPTIONAL_COLUMNS that any of the files has (missing where a file lacks them); with
    `by` = "jurisdiction" every file must have the jurisdiction columns.
    """
    needed = ["published", "outlet", "label"]
    if by == "jurisdiction":
        needed += ["jurisdiction", "jurisdiction_name"]
    frames = []
    for path in paths:
        if path.suffix.lower() == ".parquet":
            present = set(pq.read_schema(path).names)
            _require(path, needed, present)
            frame = pd.read_parquet(
                path, columns=needed + [c for c in OPTIONAL_COLUMNS if c in present and c not in needed]
            )
        elif path.suffix.lower() == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
            _require(path, needed, set(frame.columns))
            frame = frame[needed + [c for c in OPTIONAL_COLUMNS if c in frame.columns and c not in needed]]
        else:
            raise ValueError(f"{path}: expected a .parquet or .jsonl file written by `regstance score`")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _require(path: Path, columns: list[str], present: set[str]) -> None:
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValueError(f"{path} has no {', '.join(missing)} column: score it without --no-where")


def stance_index(
    scored: pd.DataFrame,
    freq: str = "W",
    by: str | None = None,
    start: str | None = None,
    end: str | None = None,
    top: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """Counts, shares and net index per period (and per `by` group), for rows published in [start, end].

    By jurisdiction, rows where no authority acts ("none") are left out: they are
    about no jurisdiction. `top` keeps the `top` groups with the most rows.
    Returns (index, rows without a usable date).
    """
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {sorted(FREQS)}, got {freq!r}")
    if by not in BY:
        raise ValueError(f"by must be 'outlet', 'jurisdiction' or None, got {by!r}")
    if top is not None and (by is None or top < 1):
        raise ValueError(f"top needs --by and must be >= 1, got {top!r}")
    frame = scored.copy()
    if by == "jurisdiction":
        frame = frame[frame["jurisdiction"].notna() & (frame["jurisdiction"] != "none")]
    frame["published"] = pd.to_datetime(frame["published"], errors="coerce", utc=True, format="mixed")
    undated = int(frame["published"].isna().sum())
    frame = frame.dropna(subset=["published"])
    if start:
        frame = frame[frame["published"] >= pd.Timestamp(start, tz="UTC")]
    if end:
        frame = frame[frame["published"] < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)]
    frame["period"] = frame["published"].dt.tz_localize(None).dt.to_period(FREQS[freq]).dt.start_time
    keys = ["period"] + ([by] if by else [])
    if by:
        frame[by] = frame[by].fillna("(unknown)")
    if top is not None:
        frame = frame[frame[by].isin(frame[by].value_counts().nlargest(top).index)]
    counts = (
        frame.groupby([*keys, "label"])
        .size()
        .unstack("label", fill_value=0)
        .reindex(columns=LABELS, fill_value=0)
    )
    counts.columns.name = None
    index = counts.reset_index()
    index.insert(len(keys), "n", index[list(LABELS)].sum(axis=1))
    for label in LABELS:
        index[f"share_{label}"] = (index[label] / index["n"]).round(4)
    index["net_index"] = (index["share_adoption"] - index["share_restriction"]).round(4)
    if by == "jurisdiction":
        names = frame.groupby("jurisdiction")["jurisdiction_name"].first()
        index.insert(2, "jurisdiction_name", index["jurisdiction"].map(names))
    return index.sort_values(keys).reset_index(drop=True), undated


def plot_index(
    index: pd.DataFrame,
    path: Path,
    *,
    freq: str = "W",
    by: str | None = None,
    top: int = 6,
    min_n: int = MIN_PERIOD_ARTICLES,
) -> None:
    """Net index over time (top) and article counts by label (bottom), one PNG.

    Periods with fewer than `min_n` articles get a bar but no net-index point (a
    share of a handful of articles is noise), and the line breaks across empty periods.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    colours = {"adoption": "#1a9850", "neutral": "#bdbdbd", "restriction": "#d73027"}
    fig, (ax_net, ax_n) = plt.subplots(
        2, 1, figsize=(11, 6.5), dpi=120, sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    periods = pd.period_range(index["period"].min(), index["period"].max(), freq=FREQS[freq]).start_time
    total = index.groupby("period")[[*LABELS, "n"]].sum().reindex(periods, fill_value=0)
    middle = periods + pd.Timedelta(
        days={"D": 0.5, "W": 3.5, "M": 15}[freq]
    )  # draw each period at its centre
    if by:
        largest = index.groupby(by)["n"].sum().nlargest(top).index
        for name in largest:
            part = index[index[by] == name].set_index("period").reindex(periods)
            net = part["net_index"].where(part["n"] >= min_n)
            ax_net.plot(middle, net, marker="o", ms=3, lw=1.4, label=str(name))
        ax_net.legend(title=by, fontsize=8, ncol=2, loc="upper left")
    else:
        net = ((total["adoption"] - total["restriction"]) / total["n"]).where(total["n"] >= min_n)
        ax_net.fill_between(
            middle, net, 0, where=net >= 0, color=colours["adoption"], alpha=0.25, interpolate=True
        )
        ax_net.fill_between(
            middle, net, 0, where=net < 0, color=colours["restriction"], alpha=0.25, interpolate=True
        )
        ax_net.plot(middle, net, color="black", lw=1.6, marker="o", ms=3)
    ax_net.axhline(0, color="black", lw=0.8)
    ax_net.set_ylabel("net index\n(adoption − restriction share)")
    ax_net.set_title(f"Regulatory stance of crypto news, per {FREQ_NAMES[freq]}")
    ax_net.text(
        0.99,
        0.02,
        f"periods with fewer than {min_n} articles not plotted",
        transform=ax_net.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color="grey",
    )
    ax_net.grid(alpha=0.3)

    width = {"D": 0.8, "W": 5.0, "M": 24.0}[freq]
    bottom = None
    for label in ("restriction", "neutral", "adoption"):
        ax_n.bar(middle, total[label], width=width, bottom=bottom, color=colours[label], label=label)
        bottom = total[label] if bottom is None else bottom + total[label]
    ax_n.set_ylabel("articles")
    ax_n.legend(fontsize=8, ncol=3, loc="upper left")
    ax_n.grid(alpha=0.3, axis="y")
    ax_n.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax_n.xaxis.get_major_locator()))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_jurisdictions(index: pd.DataFrame, path: Path, *, freq: str = "W", min_n: int = 5) -> list[Path]:
    """Two PNGs from a per-jurisdiction index: a heatmap and small multiples.

    The heatmap (at `path`) has one row per jurisdiction, largest volume on top, one
    column per period, coloured by net index (red restriction, green adoption), with
    each row's article count at its right; cells with fewer than `min_n` articles are
    hatched grey, since a share of a handful is noise. The small multiples
    (`<path stem>-lines.png`) draw each jurisdiction's net index over time on the
    same axes, so directions compare at a glance. Returns the paths written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import numpy as np

    path = Path(path)
    volume = index.groupby("jurisdiction")["n"].sum().sort_values(ascending=False)
    codes = list(volume.index)
    names = index.groupby("jurisdiction")["jurisdiction_name"].first().to_dict()
    labels = [f"{names.get(c) or c} ({c})" if names.get(c) and names.get(c) != c else c for c in codes]
    periods = pd.period_range(index["period"].min(), index["period"].max(), freq=FREQS[freq]).start_time
    net = index.pivot(index="jurisdiction", columns="period", values="net_index").reindex(
        index=codes, columns=periods
    )
    n = index.pivot(index="jurisdiction", columns="period", values="n").reindex(index=codes, columns=periods)
    shown = net.where(n >= min_n)

    fig, ax = plt.subplots(figsize=(max(8, 0.55 * len(periods) + 4), 0.45 * len(codes) + 2), dpi=120)
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#eeeeee")
    image = ax.imshow(
        np.ma.masked_invalid(shown.to_numpy(dtype=float)), cmap=cmap, vmin=-1, vmax=1, aspect="auto"
    )
    for (i, j), value in np.ndenumerate(shown.to_numpy(dtype=float)):
        if np.isnan(value):
            if n.iat[i, j] == n.iat[i, j] and n.iat[i, j] > 0:  # a few articles: hatched, no colour
                ax.add_patch(
                    plt.Rectangle(
                        (j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#bbbbbb", lw=0
                    )
                )
            continue
        ax.text(j, i, f"{value:+.2f}".replace("+0.00", "0"), ha="center", va="center", fontsize=7,
                color="black" if abs(value) < 0.6 else "white")  # fmt: skip
    ax.set_yticks(range(len(codes)), labels, fontsize=8)
    ax.set_xticks(range(len(periods)), [p.strftime("%d %b" if freq != "M" else "%b %Y") for p in periods],
                  rotation=60, ha="right", fontsize=7)  # fmt: skip
    for i, c in enumerate(codes):
        ax.text(len(periods) - 0.3, i, f"{int(volume[c]):,}", va="center", fontsize=7, color="grey")
    ax.set_title(
        f"Net regulatory stance by jurisdiction, per {FREQ_NAMES[freq]} "
        f"(adoption − restriction share; hatched: fewer than {min_n} articles)",
        fontsize=10,
    )
    fig.colorbar(image, ax=ax, fraction=0.025, pad=0.06, label="net index")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

    lines = path.with_name(f"{path.stem}-lines{path.suffix or '.png'}")
    cols = 4
    rows = -(-len(codes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.2 * rows + 0.6), dpi=120, sharex=True, sharey=True,
                             squeeze=False)  # fmt: skip
    middle = periods + pd.Timedelta(days={"D": 0.5, "W": 3.5, "M": 15}[freq])
    for k, ax in enumerate(axes.flat):
        if k >= len(codes):
            ax.axis("off")
            continue
        values = shown.iloc[k].to_numpy(dtype=float)
        ax.axhline(0, color="black", lw=0.7)
        ax.fill_between(middle, values, 0, where=values >= 0, color="#1a9850", alpha=0.3, interpolate=True)
        ax.fill_between(middle, values, 0, where=values < 0, color="#d73027", alpha=0.3, interpolate=True)
        ax.plot(middle, values, color="black", lw=1.2, marker="o", ms=2)
        ax.set_title(f"{labels[k]}: {int(volume[codes[k]]):,} articles", fontsize=8)
        ax.set_ylim(-1.05, 1.05)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.tick_params(labelsize=7)
    fig.suptitle(f"Net stance index per {FREQ_NAMES[freq]}, by jurisdiction (periods under {min_n} articles left out)",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(lines)
    plt.close(fig)
    return [path, lines]
