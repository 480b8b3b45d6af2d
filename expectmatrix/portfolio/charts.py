"""The report's charts as static SVG (data: URLs), drawn by matplotlib: the accounts'
revenue against margin percent, each point named and coloured by segment, with the
quadrant split lines and each quadrant's strategy; and per segment, revenue beside
margin. Text is drawn as paths in the bundled Noto Sans (the page's own font): no font or
name reaches the SVG as text a browser would interpret, and the page needs nothing from
outside.

Each chart is drawn on its own Figure inside a style context: matplotlib's global state
(backend, rcParams) is left as the caller had it."""

from __future__ import annotations

import base64
import contextlib
import io
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from expectmatrix.portfolio.accounts import Portfolio

COLOURS = {"small": "#e69138", "medium": "#2a9d8f", "large": "#24425e"}
# The page's font first; the others draw what Noto Sans lacks (Hebrew, Arabic, symbols).
FAMILIES = ["Noto Sans", "Noto Sans Hebrew", "Noto Sans Arabic", "DejaVu Sans"]
FONT_FILES = tuple(f"NotoSans{script}-{weight}.ttf" for script in ("", "Hebrew", "Arabic")
                   for weight in ("Regular", "Bold"))
STYLE: dict[str, Any] = {"svg.hashsalt": "expectmatrix", "svg.fonttype": "path", "font.family": FAMILIES,
         "font.size": 8, "axes.edgecolor": "#555", "axes.labelcolor": "#1a1a1a",
         "xtick.color": "#555", "ytick.color": "#555"}
MAX_NAMED = 40  # more names than this would cover the points: the largest are named
NAME_LENGTH = 26
Money = Callable[[Decimal], str]


def _fonts() -> None:
    """Make the bundled fonts known to matplotlib by file (once; they change no default:
    only the style context below asks for them)."""
    from matplotlib import font_manager

    from expectmatrix.resources import fonts_dir

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for name in FONT_FILES:
        path = fonts_dir() / name
        if str(path) not in known and path.is_file():
            font_manager.fontManager.addfont(str(path))


@contextlib.contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    _fonts()
    # A name in a script no bundled font has is drawn as boxes, not reported on the
    # terminal of whoever runs the report.
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():  # type: ignore[arg-type]
        warnings.simplefilter("ignore")
        yield


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)  # a canvas that measures text, for placing the names
    return figure


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    # As a data: URL for an <img>: the page stays self-contained, and WeasyPrint draws it
    # with its SVG renderer (inline SVG would be read as HTML and CSS).
    return "data:image/svg+xml;base64," + base64.b64encode(
        buffer.getvalue().encode("utf-8")).decode("ascii")


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= NAME_LENGTH else name[:NAME_LENGTH - 1].rstrip() + "…"


def scatter(portfolio: Portfolio, labels: dict[str, str], money: Money) -> str:
    with _style():
        figure = _figure(6.8, 4.4)
        axes = figure.add_subplot()
        for segment, colour in COLOURS.items():
            chosen = [a for a in portfolio.accounts if _main_segment(a.segments) == segment]
            if chosen:
                axes.scatter([float(a.revenue) for a in chosen],
                             [float(a.margin_percent) for a in chosen], s=24, c=colour,
                             label=labels.get(segment, segment), alpha=0.85,
                             edgecolors="white", linewidths=0.6, zorder=3)
        split_x, split_y = float(portfolio.revenue_split), float(portfolio.margin_split)
        axes.axvline(split_x, color="#888", linestyle="--", linewidth=0.8)
        axes.axhline(split_y, color="#888", linestyle="--", linewidth=0.8)
        # A portfolio spans small and large deals: orders of magnitude. A log scale has no
        # place for an account without revenue (or a split at 0): it would vanish, with a
        # warning on the terminal; symlog shows it at 0.
        positive = all(a.revenue > 0 for a in portfolio.accounts) and split_x > 0
        if positive:
            axes.set_xscale("log")
        else:
            axes.set_xscale("symlog", linthresh=1)
        _room(axes, portfolio, positive)
        axes.xaxis.set_major_formatter(_ticks(money))
        axes.set_xlabel(labels["revenue_axis"])
        axes.set_ylabel(labels["margin_axis"])
        axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=3)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        taken = _quadrants(figure, axes, labels)
        _names(figure, axes, portfolio, taken)
        return _svg(figure)


def _room(axes: Any, portfolio: Portfolio, positive: bool) -> None:
    """Limits that hold every point and both split lines, with a band above and below
    for the quadrants' names."""
    xs = [float(a.revenue) for a in portfolio.accounts] + [float(portfolio.revenue_split)]
    ys = [float(a.margin_percent) for a in portfolio.accounts] + [float(portfolio.margin_split)]
    low, high = min(ys), max(ys)
    pad = max(high - low, 10.0) * 0.18
    axes.set_ylim(low - pad, high + pad)
    if positive:
        axes.set_xlim(min(xs) / 1.6, max(xs) * 1.6)
    else:
        axes.set_xlim(min(min(xs), 0.0) - 0.5, max(max(xs), 1.0) * 1.6)


def _quadrants(figure: Any, axes: Any, labels: dict[str, str]) -> list[Any]:
    """Each quadrant's strategy (bold) and what puts an account there, in its corner;
    returns the space they take."""
    corners = [(0.99, 0.99, "right", "top", "quadrant_protect"),
               (0.01, 0.99, "left", "top", "quadrant_grow"),
               (0.99, 0.01, "right", "bottom", "quadrant_expand"),
               (0.01, 0.01, "left", "bottom", "quadrant_serve")]
    renderer = figure.canvas.get_renderer()
    taken = []
    for x, y, ha, va, key in corners:
        strategy, _, reason = labels[key].partition("\n")
        lines = [(strategy, "bold"), (reason, "normal")]
        if va == "bottom":  # read from the top all the same: the strategy first
            lines.reverse()
        for n, (text, weight) in enumerate(lines):
            shift = -9 * n if va == "top" else 9 * n
            note = axes.annotate(text, (x, y), xycoords="axes fraction", xytext=(0, shift),
                                 textcoords="offset points", ha=ha, va=va, fontsize=7,
                                 color="#24425e", fontweight=weight, alpha=0.8)
            taken.append(note.get_window_extent(renderer).expanded(1.05, 1.2))
    return taken


def _names(figure: Any, axes: Any, portfolio: Portfolio, taken: list[Any]) -> None:
    """Each account's name beside its point, where it covers no other name or point; the
    largest accounts are placed first, and named all the same when no place is free."""
    renderer = figure.canvas.get_renderer()
    accounts = portfolio.accounts[:MAX_NAMED]  # the report lists them largest first
    points = [axes.transData.transform((float(a.revenue), float(a.margin_percent)))
              for a in portfolio.accounts]
    frame = axes.get_window_extent(renderer)
    from matplotlib.transforms import Bbox

    dots = [Bbox.from_extents(x - 3, y - 3, x + 3, y + 3) for x, y in points]
    # offsets in points, and how the name is anchored there
    spots = [((5, 1), "left", "bottom"), ((5, -1), "left", "top"),
             ((-5, 1), "right", "bottom"), ((-5, -1), "right", "top"),
             ((0, 6), "center", "bottom"), ((0, -6), "center", "top"),
             ((12, 10), "left", "bottom"), ((-12, -10), "right", "top"),
             ((12, -10), "left", "top"), ((-12, 10), "right", "bottom")]
    for n, account in enumerate(accounts):
        xy = (float(account.revenue), float(account.margin_percent))
        best = None
        for offset, ha, va in spots:
            note = axes.annotate(
                _short(account.customer), xy, xytext=offset, textcoords="offset points",
                ha=ha, va=va, fontsize=5.8, color="#333",
                arrowprops={"arrowstyle": "-", "color": "#999", "linewidth": 0.4,
                            "shrinkA": 0, "shrinkB": 2} if abs(offset[0]) > 6 else None)
            box = note.get_window_extent(renderer)
            clashes = sum(box.overlaps(other) for other in taken) + sum(
                box.overlaps(dot) for k, dot in enumerate(dots) if k != n)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            score = clashes + (0 if inside else 5)
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, note, box)
            else:
                note.remove()
            if score == 0:
                break
        assert best is not None
        taken.append(best[2])


def bars(portfolio: Portfolio, labels: dict[str, str], money: Money) -> str:
    with _style():
        figure = _figure(6.4, 2.8)
        axes = figure.add_subplot()
        names = [labels.get(s.segment, s.segment) for s in portfolio.segments]
        positions = range(len(names))
        axes.bar([p - 0.2 for p in positions], [float(s.revenue) for s in portfolio.segments],
                 width=0.4, color=[COLOURS[s.segment] for s in portfolio.segments],
                 label=labels["revenue"])
        axes.bar([p + 0.2 for p in positions], [float(s.margin) for s in portfolio.segments],
                 width=0.4, color=[COLOURS[s.segment] for s in portfolio.segments],
                 alpha=0.45, label=labels["margin"])
        axes.set_xticks(list(positions), names)
        axes.yaxis.set_major_formatter(_ticks(money))
        axes.legend(frameon=False)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return _svg(figure)


def _ticks(money: Money) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: money(Decimal(str(round(value)))))


def _main_segment(segments: set[str]) -> str:
    return next((s for s in ("large", "medium", "small") if s in segments), "small")
