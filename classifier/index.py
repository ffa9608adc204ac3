"""The stance index: per period, how many articles went each way, and the net direction.

net_index = share of adoption - share of restriction, in [-1, 1]: above zero,
the period's news had authorities embracing crypto more than restricting it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from classifier.model import LABELS

FREQS = {"D": "D", "W": "W-SUN", "M": "M"}
FREQ_NAMES = {"D": "day", "W": "week (starting Monday)", "M": "month"}
#: Read when a scored file has them (bulk output gains `jurisdiction` with the jurisdiction step).
OPTIONAL_COLUMNS = ("jurisdiction",)
#: A period with fewer articles has no net-index point: a share of a handful of articles is noise.
MIN_PERIOD_ARTICLES = 20


def read_scored(paths: list[Path]) -> pd.DataFrame:
    """The label, date and outlet of every scored row (Parquet or JSONL from `regstance score`).

    Also the OPTIONAL_COLUMNS that any of the files has (missing where a file lacks them).
    """
    import pyarrow.parquet as pq

    needed = ["published", "outlet", "label"]
    frames = []
    for path in paths:
        if path.suffix.lower() == ".parquet":
            names = pq.read_schema(path).names
            frame = pd.read_parquet(path, columns=needed + [c for c in OPTIONAL_COLUMNS if c in names])
        elif path.suffix.lower() == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
            frame = frame[needed + [c for c in OPTIONAL_COLUMNS if c in frame.columns]]
        else:
            raise ValueError(f"{path}: expected a .parquet or .jsonl file written by `regstance score`")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def stance_index(
    scored: pd.DataFrame,
    freq: str = "W",
    by: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> tuple[pd.DataFrame, int]:
    """Counts, shares and net index per period (and per `by` group), for rows published in [start, end].

    Returns (index, rows without a usable date).
    """
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {sorted(FREQS)}, got {freq!r}")
    if by not in (None, "outlet"):
        raise ValueError(f"by must be 'outlet' or None, got {by!r}")
    frame = scored.copy()
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
