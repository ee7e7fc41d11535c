"""Plots for the HTML report: matplotlib (Agg, no pyplot state) rendered to compact inline SVG.

Every function takes plain data from report.json and returns an SVG string ready to inline (no XML header,
ids prefixed so several plots can live in one page, text kept as text, points thinned), or ``None`` when
there is nothing to draw. Rendering is deterministic: the same data gives the same SVG bytes.
"""

from __future__ import annotations

import io
import itertools
import math
import re

__all__ = ["margin_histogram", "series_plot", "fit_plot", "plot_svg", "reset_ids", "MAX_POINTS"]

MAX_POINTS = 300          # per series, after thinning
MAX_HIST = 2000           # margins used for a histogram
FIGSIZE = (6.4, 3.1)      # inches
PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

_counter = itertools.count()
_GEOM = re.compile(r'\b(d|x|y|x1|x2|y1|y2|width|height|points|transform|style)="([^"]*)"')
_DIGITS = re.compile(r"(\d\.\d{2})\d+")
_USE_GROUP = re.compile(r'<g((?: clip-path="[^"]*")?)>((?:<use [^>]*/>)+)</g>')
_USE_STYLE = re.compile(r' style="([^"]*)"')
_RC = {
    "svg.fonttype": "none",          # text stays text: far smaller than glyph paths
    "svg.hashsalt": "certify",       # deterministic ids
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "path.simplify": True,
}


def reset_ids() -> None:
    """Restart the per-plot id prefixes (p0-, p1-, ...): call once per page."""
    global _counter
    _counter = itertools.count()


def _finite(v) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _pairs(xs, ys) -> list[tuple[float, float]]:
    out = []
    for x, y in zip(xs or [], ys or [], strict=False):
        fx, fy = _finite(x), _finite(y)
        if fx is not None and fy is not None:
            out.append((fx, fy))
    return out


def _thin(pts: list, limit: int = MAX_POINTS) -> list:
    """Keep at most `limit` points, evenly spaced in the original order, always keeping the extremes of y."""
    if len(pts) <= limit:
        return pts
    step = len(pts) / limit
    keep = {int(i * step) for i in range(limit)}
    ys = [p[1] for p in pts]
    keep.add(ys.index(min(ys)))
    keep.add(ys.index(max(ys)))
    return [pts[i] for i in sorted(keep)]


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _pow10_label(v: float) -> str:
    """Tick labels without mathtext (parsing `$10^{k}$` dominates the cost of a small plot): 10⁻³, −10², 0."""
    if v == 0:
        return "0"
    e = math.log10(abs(v))
    sign = "−" if v < 0 else ""
    if abs(e - round(e)) < 1e-9:
        k = int(round(e))
        if k == 0:
            return sign + "1"
        if k == 1:
            return sign + "10"
        return sign + "10" + str(k).translate(_SUP)
    return f"{v:.3g}".replace("-", "−")


def _log_axis(axis, scale: str = "log", **kw):
    from matplotlib.ticker import FuncFormatter, NullFormatter

    (axis.axes.set_xscale if axis.axis_name == "x" else axis.axes.set_yscale)(scale, **kw)
    axis.set_major_formatter(FuncFormatter(lambda v, pos: _pow10_label(v)))
    if scale != "log":
        axis.set_minor_formatter(NullFormatter())
        return

    def minor(v, pos):
        # label 2 and 5 times a power of ten when the axis spans less than two decades (else too few labels)
        lo, hi = sorted(axis.get_view_interval())
        if lo <= 0 or hi / lo > 100 or v <= 0:
            return ""
        m = v / 10.0 ** math.floor(math.log10(v) + 1e-12)
        return f"{v:.3g}".replace("-", "−") if abs(m - 2) < 1e-6 or abs(m - 5) < 1e-6 else ""

    axis.set_minor_formatter(FuncFormatter(minor))


def _short(label: str, n: int = 26) -> str:
    label = str(label)
    return label if len(label) <= n else label[: n - 1] + "…"


def _legend(ax):
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, [_short(x) for x in labels], loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0.0, handlelength=1.4)


class _SymlogTicks:
    """At most ~7 decade ticks on a symlog axis (the default puts one per decade, and they collide)."""

    def __new__(cls, lo: float, hi: float, lin: float):
        from matplotlib.ticker import FixedLocator

        kmin = math.floor(math.log10(lin))
        ticks = [0.0]
        for sign, end in ((1, hi), (-1, lo)):
            if sign * end <= lin:
                continue
            kmax = math.ceil(math.log10(abs(end)))
            step = max(1, math.ceil((kmax - kmin + 1) / 3))
            ks = list(range(kmax, kmin - 1, -step))
            ticks += [sign * 10.0 ** k for k in ks]
        return FixedLocator(sorted(ticks))


def _figure(legend: bool = True):
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGSIZE, dpi=72)
    # fixed layout (no tight bbox: that is a second draw pass); the legend sits in a right-hand column
    fig.subplots_adjust(left=0.12, right=0.72 if legend else 0.97, bottom=0.16, top=0.9)
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    start = svg.find("<svg")
    svg = svg[start:]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # matplotlib's <style>*{...}</style> would style the whole HTML page once inlined: the page CSS has it
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    # several inline SVGs share one document: drop the ids nothing refers to, prefix the others
    prefix = f"p{next(_counter)}-"
    used = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
    svg = re.sub(r'\sid="([^"]+)"', lambda m: f' id="{prefix}{m.group(1)}"' if m.group(1) in used else "", svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"<g>(<g>)*</g>", "", svg)
    # responsive: keep the viewBox, let CSS size it
    svg = re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="plot"', svg, count=1)
    # compact: drop indentation and trailing spaces
    svg = re.sub(r">\s+<", "><", svg)
    # markers: one style on the group instead of one per point (fill and stroke are inherited by <use>)
    svg = _USE_GROUP.sub(_hoist_style, svg)
    # 2 decimals of a point are plenty at this size (only in geometry attributes, never in text)
    svg = _GEOM.sub(lambda m: m.group(1) + '="' + _DIGITS.sub(r"\1", " ".join(m.group(2).split())) + '"', svg)
    return svg.strip()


def _hoist_style(m) -> str:
    uses = m.group(2)
    styles = set(_USE_STYLE.findall(uses))
    if len(styles) != 1:
        return m.group(0)
    style = styles.pop()
    return f'<g{m.group(1)} style="{style}">' + _USE_STYLE.sub("", uses) + "</g>"


def _rc():
    # Figure objects are used directly (no pyplot, no GUI backend): savefig picks the SVG canvas itself.
    import matplotlib

    return matplotlib.rc_context(_RC)


def _use_log(values: list[float]) -> bool:
    pos = [v for v in values if v > 0]
    return len(pos) == len(values) and len(pos) >= 2 and max(pos) / min(pos) > 100.0


def margin_histogram(margins, title: str = "relative margins of the examples") -> str | None:
    """Histogram of relative margins: violations (< 0) in red, the rest in blue, zero marked."""
    vals = [f for f in (_finite(m) for m in (margins or [])[:MAX_HIST]) if f is not None]
    n_missing = len((margins or [])[:MAX_HIST]) - len(vals)
    if len(vals) < 5:
        return None  # a handful of margins is better read from the tables
    import numpy as np

    with _rc():
        fig, ax = _figure()
        a = np.asarray(vals)
        nz = np.abs(a[a != 0])
        lo, hi = float(a.min()), float(a.max())
        if lo == hi:
            return None  # every margin equal: nothing to see (the tables give the value)
        # symlog when many margins crowd near zero on a linear axis (tight claims: 1e-12 ... 1)
        symlog = nz.size >= 2 and float(np.mean(nz < 1e-3 * float(nz.max()))) > 0.1
        if lo == hi:
            bins = np.linspace(lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1), 11)
        elif symlog:
            lin = max(float(nz.min()), 1e-12)
            _log_axis(ax.xaxis, "symlog", linthresh=lin)
            ax.xaxis.set_major_locator(_SymlogTicks(lo, hi, lin))
            def fwd(v):
                return np.sign(v) * np.log10(1 + np.abs(v) / lin)
            def inv(t):
                return np.sign(t) * lin * (10 ** np.abs(t) - 1)
            bins = inv(np.linspace(fwd(lo), fwd(hi), 41))
        else:
            bins = np.linspace(lo, hi, 41)
        neg, pos = a[a < 0], a[a >= 0]
        if pos.size:
            ax.hist(pos, bins=bins, color=PALETTE[0], alpha=0.85, histtype="stepfilled", label=f"holds ({pos.size})")
        if neg.size:
            ax.hist(neg, bins=bins, color=PALETTE[1], alpha=0.85, histtype="stepfilled",
                    label=f"violated in float64 ({neg.size})")
        ax.axvline(0.0, color="#111827", linewidth=0.9, linestyle="--")
        ax.set_xlabel("relative margin  (< 0: violated in float64)")
        ax.set_ylabel("examples")
        extra = f", {n_missing} non-finite" if n_missing else ""
        ax.set_title(f"{title} (n = {len(vals)}{extra})", loc="left")
        _legend(ax)
        return _svg(fig)


def _log_floor(pos: list[float]) -> float | None:
    """A floor for a log axis when a few values sit far below the rest (a gap of more than 10 decades with at
    most a quarter of the points under it): the floor is one decade under the bulk; None otherwise."""
    if len(pos) < 4:
        return None
    logs = [math.log10(v) for v in pos]
    best, at = 0.0, None
    for i in range(len(logs) - 1):
        if (i + 1) > len(logs) // 4:
            break
        gap = logs[i + 1] - logs[i]
        if gap > best:
            best, at = gap, i
    if at is None or best <= 10:
        return None
    return 10.0 ** math.floor(logs[at + 1] - 1)


def series_plot(plot: dict) -> str | None:
    """A plot of kind 'scatter' or 'curve': several named series of (x, y) points."""
    kind = plot.get("kind", "scatter")
    series = plot.get("series") or {}
    data = {}
    for name, s in series.items():
        pts = _pairs((s or {}).get("x"), (s or {}).get("y"))
        if pts:
            data[str(name)] = pts
    if not data:
        return None
    allx = [p[0] for pts in data.values() for p in pts]
    ally = [p[1] for pts in data.values() for p in pts]
    logx = plot.get("logx")
    logy = plot.get("logy")
    if logx is None:
        logx = _use_log(allx)
    if logy is None:
        logy = (kind == "curve" and all(y > 0 for y in ally) and len(ally) >= 2) or _use_log(ally)
    notes = []
    # log axes: non-positive values cannot be drawn; far outliers (an exact baseline at 1e-300) would squash
    # everything else, so they are drawn on a dotted floor line (see _log_floor) and counted in a note
    floors = {}
    for axis, on in ((0, logx), (1, logy)):
        if not on:
            continue
        dropped = sum(1 for pts in data.values() for p in pts if p[axis] <= 0)
        if dropped:
            notes.append(f"{dropped} non-positive {'x' if axis == 0 else 'y'} not shown")
        pos = sorted(p[axis] for pts in data.values() for p in pts if p[axis] > 0)
        floor = _log_floor(pos)
        if floor is not None:
            n_low = sum(1 for v in pos if v < floor)
            if n_low:
                floors[axis] = floor
                notes.append(f"{n_low} {'x' if axis == 0 else 'y'} < {floor:.0e} drawn on the dotted line")
    show_legend = len(data) > 1
    with _rc():
        fig, ax = _figure(show_legend)
        total = 0
        for i, (name, pts) in enumerate(sorted(data.items())):
            if logx:
                pts = [p for p in pts if p[0] > 0]
            if logy:
                pts = [p for p in pts if p[1] > 0]
            if floors:
                pts = [(max(x, floors.get(0, x)), max(y, floors.get(1, y))) for x, y in pts]
            if not pts:
                continue
            total += len(pts)
            color = PALETTE[i % len(PALETTE)]
            if kind == "curve":
                pts = _thin(pts)
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, color=color, linewidth=1.4, marker="o" if len(pts) <= 30 else None,
                        markersize=3, label=name)
            else:
                n_all = len(pts)
                pts = _thin(pts)
                xs, ys = zip(*pts, strict=True)
                ax.scatter(xs, ys, s=10, color=color, marker=MARKERS[i % len(MARKERS)], alpha=0.7,
                           linewidths=0, label=f"{name} ({n_all})")
        for axis, floor in floors.items():
            (ax.axvline if axis == 0 else ax.axhline)(floor, color="#9ca3af", linewidth=0.8, linestyle=":")
        if logx:
            _log_axis(ax.xaxis)
        if logy:
            _log_axis(ax.yaxis)
        ax.set_xlabel(str(plot.get("xlabel") or "x"))
        ax.set_ylabel(str(plot.get("ylabel") or "y"))
        title = str(plot.get("title") or plot.get("name") or kind)
        if kind == "scatter" and not show_legend:
            title += f" (n = {total})"
        ax.set_title(title, loc="left")
        if notes:
            fig.text(0.99, 0.01, "; ".join(notes), ha="right", va="bottom", fontsize=7, color="#6b7280")
        if show_legend:
            _legend(ax)
        return _svg(fig)


def _fit_kind(plot: dict) -> str:
    if plot.get("logx") and plot.get("logy"):
        return "loglog"
    if plot.get("logx"):
        return "semilogx"
    return "linear"


def fit_plot(plot: dict, expected_exponent=None) -> str | None:
    """Measured points with the fitted scaling law (and the claimed exponent through the data, dashed)."""
    import numpy as np

    series = plot.get("series") or {}
    fit = plot.get("fit") or {}
    kind = plot.get("fit_kind") or _fit_kind(plot)
    data = {str(k): _pairs((s or {}).get("x"), (s or {}).get("y")) for k, s in series.items()}
    data = {k: v for k, v in data.items() if v}
    if not data:
        return None
    with _rc():
        fig, ax = _figure()
        allx = []
        for i, (name, pts) in enumerate(sorted(data.items())):
            pts = _thin(pts)
            xs, ys = zip(*pts, strict=True)
            allx += xs
            ax.scatter(xs, ys, s=18, color=PALETTE[i % len(PALETTE)], zorder=3, label=name)
        slope, icpt = _finite(fit.get("exponent")), _finite(fit.get("intercept"))
        xmin, xmax = min(allx), max(allx)
        if kind in ("loglog", "semilogx") and xmin > 0:
            grid = np.geomspace(xmin, xmax, 60)
        else:
            grid = np.linspace(xmin, xmax, 60)
        if fit.get("ok", True) and slope is not None and icpt is not None and xmax > xmin:
            if kind == "loglog":
                yfit = np.exp(icpt) * grid ** slope
            elif kind == "semilogx":
                yfit = icpt + slope * np.log(grid)
            else:
                yfit = icpt + slope * grid
            lab = f"fit: exponent {slope:.3g}" if kind == "loglog" else f"fit: slope {slope:.3g}"
            ax.plot(grid, yfit, color="#111827", linewidth=1.3, label=lab)
            e = _finite(expected_exponent)
            if e is not None and kind == "loglog":
                xm = math.exp(0.5 * (math.log(xmin) + math.log(xmax)))
                ym = math.exp(icpt) * xm ** slope
                ax.plot(grid, ym * (grid / xm) ** e, color=PALETTE[3], linewidth=1.2, linestyle="--",
                        label=f"claimed exponent {e:g}")
        if kind in ("loglog", "semilogx") and xmin > 0:
            _log_axis(ax.xaxis)
        if kind == "loglog":
            _log_axis(ax.yaxis)
        ax.set_xlabel(str(plot.get("xlabel") or "x"))
        ax.set_ylabel(str(plot.get("ylabel") or "y"))
        ax.set_title(str(plot.get("title") or plot.get("name") or "scaling"), loc="left")
        _legend(ax)
        return _svg(fig)


def plot_svg(plot: dict, claim: dict | None = None) -> str | None:
    """Dispatch on the plot's kind; never raises (a broken plot is skipped, not the report)."""
    try:
        kind = plot.get("kind")
        if kind == "fit":
            exp = ((claim or {}).get("scaling") or {}).get("expected_exponent")
            p = dict(plot)
            sk = ((claim or {}).get("scaling") or {}).get("fit")
            if isinstance(sk, str):
                p["fit_kind"] = sk
            return fit_plot(p, exp)
        if kind in ("scatter", "curve"):
            return series_plot(plot)
        if plot.get("series"):
            return series_plot({**plot, "kind": "scatter"})
    except Exception:  # noqa: BLE001 - a plot is a picture, never a reason to lose the report
        return None
    return None
