"""The report's charts as static SVG (data: URLs), drawn by matplotlib: the accounts' revenue against
margin percent, coloured by segment, with the quadrant split lines; and per segment,
revenue beside margin. Text is drawn as paths: no font or name reaches the SVG as text
a browser would interpret, and the page needs nothing from outside."""

from __future__ import annotations

import io
from typing import Any

from expectmatrix.portfolio.accounts import Portfolio

COLOURS = {"small": "#e69138", "medium": "#2a9d8f", "large": "#24425e"}


def _svg(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    # As a data: URL for an <img>: the page stays self-contained, and WeasyPrint draws it
    # with its SVG renderer (inline SVG would be read as HTML and CSS).
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(
        buffer.getvalue().encode("utf-8")).decode("ascii")


def _setup() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "expectmatrix", "svg.fonttype": "path",
                                "font.family": "DejaVu Sans", "font.size": 8})
    import matplotlib.pyplot as plt

    return plt


def scatter(portfolio: Portfolio, labels: dict[str, str]) -> str:
    plt = _setup()
    figure, axes = plt.subplots(figsize=(6.4, 3.9))
    for segment, colour in COLOURS.items():
        chosen = [a for a in portfolio.accounts if _main_segment(a.segments) == segment]
        if chosen:
            axes.scatter([float(a.revenue) for a in chosen],
                         [float(a.margin_percent) for a in chosen], s=28, c=colour,
                         label=labels.get(segment, segment), alpha=0.85, edgecolors="white",
                         linewidths=0.6)
    axes.axvline(float(portfolio.revenue_split), color="#888", linestyle="--", linewidth=0.8)
    axes.axhline(float(portfolio.margin_split), color="#888", linestyle="--", linewidth=0.8)
    # A portfolio spans small and large deals: orders of magnitude. A log scale has no
    # place for an account without revenue (or a split at 0): it would vanish, with a
    # warning on the terminal; symlog shows it at 0.
    positive = all(a.revenue > 0 for a in portfolio.accounts) and portfolio.revenue_split > 0
    if positive:
        axes.set_xscale("log")
    else:
        axes.set_xscale("symlog", linthresh=1)
    axes.xaxis.set_major_formatter(_amounts())
    axes.set_xlabel(labels["revenue_axis"])
    axes.set_ylabel(labels["margin_axis"])
    axes.legend(frameon=False, loc="best")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _svg(figure)


def bars(portfolio: Portfolio, labels: dict[str, str]) -> str:
    plt = _setup()
    figure, axes = plt.subplots(figsize=(6.4, 2.8))
    names = [labels.get(s.segment, s.segment) for s in portfolio.segments]
    positions = range(len(names))
    axes.bar([p - 0.2 for p in positions], [float(s.revenue) for s in portfolio.segments],
             width=0.4, color=[COLOURS[s.segment] for s in portfolio.segments],
             label=labels["revenue"])
    axes.bar([p + 0.2 for p in positions], [float(s.margin) for s in portfolio.segments],
             width=0.4, color=[COLOURS[s.segment] for s in portfolio.segments], alpha=0.45,
             label=labels["margin"])
    axes.set_xticks(list(positions), names)
    axes.yaxis.set_major_formatter(_amounts())
    axes.legend(frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _svg(figure)


def _amounts() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:,.0f}")


def _main_segment(segments: set[str]) -> str:
    return next((s for s in ("large", "medium", "small") if s in segments), "small")
