"""The HTML report: one self-contained page rendered from report.json alone.

`render_dir(report_dir)` reads ``report.json`` (and, to embed downloads, the ``instances/*.npz`` it names),
writes ``report.html`` beside it and returns its path. `render(report)` returns the page as a string.

The page never touches the network: CSS, JavaScript, plots (inline SVG from matplotlib) and instance
downloads (base64 ``data:`` URIs below a size limit, relative links otherwise) are all inside it, and a
Content-Security-Policy forbids any other load. Every text that comes from a claim is escaped (Jinja2 with
autoescape on); statements written in LaTeX are converted to MathML by ``latex2mathml`` when it is installed,
and the MathML is re-serialised from a whitelist of MathML elements and attributes, so nothing but mathematics
can come out of it. Without ``latex2mathml`` (or when a statement does not convert cleanly) the statement is
shown as escaped source text.
"""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from .findings import KINDS, LOOSE_FACTOR, anchor, findings

__all__ = ["render", "render_dir", "statement_html", "latex_to_mathml", "EMBED_LIMIT", "EMBED_TOTAL_LIMIT"]

HERE = Path(__file__).parent
EMBED_LIMIT = 2_000_000          # bytes: instances below this are embedded as data: URIs
EMBED_TOTAL_LIMIT = 40_000_000   # bytes: past this total, further instances are linked, not embedded
STATUSES = ("refuted", "survived", "unconfirmed", "inconclusive", "error")
STATUS_HELP = {
    "refuted": "a counterexample confirmed in high precision (dps and 2·dps agree)",
    "survived": "no confirmed counterexample within the budget",
    "unconfirmed": "float64 violations, but no reference could confirm them",
    "inconclusive": "reference unstable, too few valid instances, or timed out",
    "error": "the claim code raised",
}
RELATION = {"le": "≤", "ge": "≥", "close": "≈", "margin": "margin"}
FINDING_KINDS = KINDS
FINDING_HELP = {
    "refuted": "a confirmed counterexample (marginal: within float64 rounding of the instance; check the encoding)",
    "vacuous": "a trivial or exact baseline meets the bound on every instance the claim was evaluated on",
    "loose": f"the paper's constant is at least {LOOSE_FACTOR:g}× the one the instances need",
    "tighten": "the smallest (largest) safe value of a constant found by certify tighten at this budget",
    "mutant_survived": "a deliberately wrong variant the search did not refute: it cannot tell the claim from it",
    "equality": "the bound is attained exactly on some instances (confirmed in high precision)",
    "fragile": "many float64 violations that high precision does not confirm",
}


# ----------------------------------------------------------------------------- numbers
def _undefined(x) -> bool:
    try:
        import jinja2
    except ImportError:  # pragma: no cover - jinja2 is a dependency
        return False
    return isinstance(x, jinja2.Undefined)


def fmt(x: Any, digits: int = 4) -> str:
    """Short, readable numbers: 4 significant digits, scientific outside [1e-3, 1e5)."""
    if x is None or _undefined(x):
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, str):
        return x
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return str(x)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "∞" if f > 0 else "−∞"
    if f == 0:
        return "0"
    a = abs(f)
    if 1e-3 <= a < 1e5:
        s = f"{f:.{digits}g}"
    else:
        s = f"{f:.{max(digits - 1, 1)}e}"
        mant, exp = s.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        s = f"{mant}e{int(exp)}"
    return s.replace("-", "−")


def _num(x) -> float | None:
    if x is None or isinstance(x, bool) or _undefined(x):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _real(x) -> float | None:
    """x as a float, infinities included (NaN and non-numbers: None)."""
    if x is None or isinstance(x, bool) or _undefined(x):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if f != f else f


def _sortkey(x) -> str:
    """A number for client-side sorting (empty when missing or NaN; ±inf sort past every finite number)."""
    f = _real(x)
    if f is None:
        return ""
    if math.isinf(f):
        return "1e309" if f > 0 else "-1e309"
    return repr(f)


def _sign_class(x) -> str:
    f = _real(x)
    if f is None:
        return ""
    return "neg" if f < 0 else ("zero" if f == 0 else "pos")


# ----------------------------------------------------------------------------- mathematics
_MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
    "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "semantics", "annotation", "merror", "mfenced", "mmultiscripts", "mprescripts", "none",
    "mlabeledtr",
}
_MATHML_ATTRS = {
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "movablelimits", "accent",
    "accentunder", "linethickness", "displaystyle", "scriptlevel", "columnalign", "rowalign", "columnspacing",
    "rowspacing", "columnlines", "rowlines", "frame", "width", "height", "depth", "form", "largeop",
    "symmetric", "minsize", "maxsize", "notation", "open", "close", "separators", "align", "mathsize",
    "columnspan", "rowspan", "encoding",
}
_SAFE_ATTR_VALUE = re.compile(r"^[\w .%#+\-,]*$")
_LATEX_HINT = re.compile(r"\\[A-Za-z|,;:! {}]|[_^]\{|\\\\")


class _Unsafe(Exception):
    pass


def _serialise(el, out: list[str]) -> None:
    tag = el.tag.rsplit("}", 1)[-1]
    if tag not in _MATHML_TAGS:
        raise _Unsafe(tag)
    attrs = []
    for k, v in sorted(el.attrib.items()):
        k = k.rsplit("}", 1)[-1]
        if k == "xmlns":
            continue
        if k not in _MATHML_ATTRS or not _SAFE_ATTR_VALUE.match(v):
            continue  # dropped (e.g. href): only presentation attributes survive
        attrs.append(f' {k}="{escape(v)}"')
    text = el.text or ""
    if tag in ("mi", "mo") and len(text) > 1 and text.startswith("\\"):
        raise _Unsafe(f"unknown command {text}")  # latex2mathml passes unknown commands through verbatim
    out.append(f"<{tag}{''.join(attrs)}>")
    out.append(str(escape(text)))
    for child in el:
        _serialise(child, out)
        out.append(str(escape(child.tail or "")))
    out.append(f"</{tag}>")


def latex_to_mathml(tex: str, display: str = "inline") -> str | None:
    """LaTeX -> sanitised MathML (a string of whitelisted MathML only), or None when it cannot be converted."""
    try:
        from latex2mathml.converter import convert
    except ImportError:
        return None
    import xml.etree.ElementTree as ET

    try:
        raw = convert(tex, display=display)
        root = ET.fromstring(raw)
        out: list[str] = []
        _serialise(root, out)
    except Exception:  # noqa: BLE001 - any failure: fall back to the escaped source
        return None
    return "".join(out)


def statement_html(text: str | None, display: str = "block") -> Markup:
    """A statement as HTML: LaTeX (whole, or in $...$ segments) as MathML, plain text escaped."""
    if not text:
        return Markup('<span class="muted">—</span>')
    text = str(text)
    src = Markup('<code class="tex-src">{}</code>').format(text)
    if "$" in text.replace(r"\$", ""):
        parts = re.split(r"(?<!\\)\$(.+?)(?<!\\)\$", text)
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(str(escape(part)))
            else:
                m = latex_to_mathml(part, "inline")
                out.append(m if m is not None else str(Markup("<code>{}</code>").format(part)))
        return Markup(f'<span class="stmt-mixed">{"".join(out)}</span>')
    if _LATEX_HINT.search(text):
        m = latex_to_mathml(text, display)
        if m is not None:
            return Markup(f'<span class="stmt-math">{m}</span>')
        return src
    return Markup('<span class="stmt-plain">{}</span>').format(text)


# ----------------------------------------------------------------------------- theorem cards
def card_html(card: str | None) -> Markup:
    """A module docstring as light HTML: paragraphs, bullet lists, `code`; everything escaped."""
    if not card:
        return Markup("")
    blocks = re.split(r"\n\s*\n", str(card).strip())
    out = []
    for block in blocks:
        lines = block.split("\n")
        items: list[str] = []
        para: list[str] = []
        for line in lines:
            m = re.match(r"^\s*[*\-•]\s+(.*)$", line)
            if m:
                items.append(m.group(1))
            elif items and line.startswith((" ", "\t")):
                items[-1] += " " + line.strip()
            elif items:
                items.append(line.strip())  # pragma: no cover - unusual layout
            else:
                para.append(line.strip())
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
    return Markup("".join(out))


def _inline(s: str) -> str:
    parts = re.split(r"``?([^`]+)``?", s)
    return "".join(str(escape(p)) if i % 2 == 0 else f"<code>{escape(p)}</code>" for i, p in enumerate(parts))


# ----------------------------------------------------------------------------- instances
class _Embedder:
    def __init__(self, base_dir: Path | None, limit: int, total_limit: int):
        self.base = base_dir
        self.limit = limit
        self.left = total_limit
        self.cache: dict[str, dict] = {}

    def link(self, rel: str | None, mime: str = "application/octet-stream") -> dict | None:
        if not rel:
            return None
        if rel in self.cache:
            return self.cache[rel]
        name = Path(rel).name
        out = {"name": name, "href": rel, "embedded": False, "size": None}
        if self.base is not None:
            p = (self.base / rel)
            try:
                size = p.stat().st_size
            except OSError:
                size = None
            out["size"] = size
            if size is not None and size < self.limit and size <= self.left:
                data = p.read_bytes()
                self.left -= size
                out["href"] = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
                out["embedded"] = True
        self.cache[rel] = out
        return out


def _summary_rows(summary, prefix: str = "") -> list[dict]:
    rows = []
    if not isinstance(summary, dict):
        return [{"name": prefix or "value", "shape": "", "details": "", "vals": fmt(summary)}]
    for k, v in summary.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict) and ("shape" in v or "sparse" in v):
            det = []
            for key, lab in (("dtype", ""), ("max_abs", "max|·| "), ("norm2", "‖·‖₂ "), ("sigma_min", "σ_min "),
                             ("nnz", "nnz ")):
                if key in v:
                    det.append(f"{lab}{fmt(v[key])}" if lab else str(v[key]))
            vals = v.get("values")
            shape = "×".join(str(s) for s in v.get("shape", [])) or "scalar"
            if v.get("sparse"):
                shape += " sparse"
            rows.append({"name": name, "shape": shape, "details": ", ".join(det),
                         "vals": "[" + ", ".join(fmt(x) for x in vals) + "]" if vals is not None else ""})
        elif isinstance(v, dict):
            rows.extend(_summary_rows(v, name + "/"))
        else:
            rows.append({"name": name, "shape": "", "details": "", "vals": fmt(v)})
    return rows


def _example(ex: dict | None, emb: _Embedder, title: str) -> dict | None:
    if not ex:
        return None
    inst = ex.get("instance") or {}
    conf = ex.get("confirmation")
    trials = ex.get("trials")
    view = {
        "title": title, "margin": ex.get("margin"), "rel_margin": ex.get("rel_margin"), "ratio": ex.get("ratio"),
        "lhs": ex.get("lhs"), "rhs": ex.get("rhs"), "relation": ex.get("reads") or RELATION.get(ex.get("relation"), ex.get("relation")),
        "label": ex.get("label"), "confirmation": conf if isinstance(conf, dict) else None,
        "trials": trials if isinstance(trials, dict) else None,
        "rows": _summary_rows(inst.get("summary") or {}),
        "npz": emb.link(inst.get("npz")), "json": emb.link(inst.get("json"), "application/json"),
    }
    if view["trials"]:
        ft = view["trials"].get("failed_trials") or []
        view["failed_trials"] = ", ".join(str(t) for t in ft[:20]) + (" …" if len(ft) > 20 else "")
    return view


# ----------------------------------------------------------------------------- claims
def _empirical_constant(c: dict) -> dict | None:
    """The empirical constant beside the paper's (certify.report.findings.empirical_constant), flagged loose
    when the paper's constant is at least LOOSE_FACTOR times the observed one."""
    from .findings import LOOSE_FACTOR, empirical_constant

    out = empirical_constant(c)
    if out is not None:
        out["loose"] = bool(out["const"] and out["factor"] is not None and out["factor"] >= LOOSE_FACTOR
                            and c.get("status") == "survived" and (c.get("kind") or "bound") == "bound")
    return out


def _tighten_views(c: dict) -> list[dict]:
    from .findings import LOOSE_FACTOR

    out = []
    for t in c.get("tighten") if isinstance(c.get("tighten"), list) else []:
        if not isinstance(t, dict):
            continue
        paper, safe = _num(t.get("paper_value")), _num(t.get("safe"))
        direction = t.get("direction") or "smallest"
        factor = None
        if paper and safe and paper > 0 and safe > 0:
            factor = paper / safe if direction == "smallest" else safe / paper
        steps = [s for s in t.get("steps") or [] if isinstance(s, dict)]
        out.append({"param": t.get("param"), "direction": direction, "paper": t.get("paper_value"),
                    "safe": t.get("safe"), "ruled_out": t.get("ruled_out"), "stopped": t.get("stopped"),
                    "factor": factor, "loose": factor is not None and factor >= LOOSE_FACTOR,
                    "counterexample": t.get("counterexample") if isinstance(t.get("counterexample"), dict) else None,
                    "steps": steps, "text": t.get("text") or "", "profile": t.get("profile"), "seed": t.get("seed")})
    return out


def _text(v) -> str:
    return v if isinstance(v, str) else ""


def _merge_plots(plots: list) -> list[dict]:
    """One picture per quantity: scatter/curve plots named '<quantity> <series>' with that single series (one
    evidence key per series, as claims must write them) are merged into one plot '<quantity>' of all series."""
    out: list[dict] = []
    groups: dict[tuple, dict] = {}
    for p in plots:
        if not isinstance(p, dict):
            continue
        series = p.get("series") if isinstance(p.get("series"), dict) else {}
        name = str(p.get("name", ""))
        if p.get("kind") in ("scatter", "curve") and len(series) == 1:
            (sname,) = series
            if name.endswith(" " + str(sname)) and len(name) > len(str(sname)) + 1:
                base = name[: -len(str(sname)) - 1]
                key = (p.get("kind"), base, p.get("xlabel"), p.get("ylabel"), p.get("logx"), p.get("logy"))
                if key in groups:
                    groups[key]["series"].update(series)
                    continue
                merged = {**p, "name": base, "series": dict(series)}
                groups[key] = merged
                out.append(merged)
                continue
        out.append(p)
    return out


def _table_rows(items: list[dict], keys: list[str]) -> list[list]:
    return [[it.get(k) for k in keys] for it in items]


def _claim_view(c: dict, papers: dict, emb: _Embedder, with_plots: bool) -> dict:
    from . import plots as P

    cid = str(c.get("id", "?"))
    prefix = cid.split(".", 1)[0]
    status = c.get("status") or "error"
    worst = c.get("worst")
    ce = c.get("counterexample") or {}
    fa = c.get("float_artifacts") or {}
    un = c.get("unstable") or {}
    muts = c.get("mutants") if isinstance(c.get("mutants"), dict) else {}
    bases = c.get("baselines") if isinstance(c.get("baselines"), dict) else {}
    plot_views = []
    if with_plots:
        h = P.margin_histogram(c.get("margins") or [])
        if h:
            plot_views.append({"title": "margin distribution", "svg": Markup(h)})
        for p in _merge_plots(c.get("plots") or []):
            svg = P.plot_svg(p, c)
            if svg:
                plot_views.append({"title": f"{p.get('name', '')} ({p.get('kind', '')})", "svg": Markup(svg)})
    minimal = _example(ce.get("minimal"), emb, "minimal counterexample" if status != "error" else
                       "instance that raised")
    ce_worst = ce.get("worst")
    same_worst = bool(ce_worst and worst and ce_worst.get("instance", {}).get("npz")
                      == worst.get("instance", {}).get("npz"))
    scaling = c.get("scaling") if isinstance(c.get("scaling"), dict) else None
    ref = c.get("refinement") if isinstance(c.get("refinement"), dict) else {}
    n_killed = sum(1 for m in muts.values() if isinstance(m, dict) and m.get("killed"))
    return {
        "id": cid, "anchor": anchor(cid), "paper": prefix, "title": c.get("title") or "",
        "tag": c.get("tag") or "", "kind": c.get("kind") or "bound", "status": status,
        "status_help": STATUS_HELP.get(status, ""), "expected": c.get("expected"),
        "as_expected": c.get("as_expected", True), "reason": c.get("reason") or "",
        "source": c.get("source") or "", "statement": statement_html(c.get("statement")),
        "hypotheses": _text(c.get("hypotheses")), "notes": _text(c.get("notes")),
        "statement_src": c.get("statement") or "",
        "params": [(k, json.dumps(v, sort_keys=True, default=str)) for k, v in sorted((c.get("params") or {}).items())],
        "examples": c.get("examples"), "valid_examples": c.get("valid_examples"),
        "budget": c.get("budget") if isinstance(c.get("budget"), dict) else {},
        "profile": c.get("profile"), "seed": c.get("seed"), "delta": c.get("delta"),
        "duration": c.get("duration_s"), "reproduce": c.get("reproduce"), "replay": c.get("replay"),
        "error": c.get("error"), "fast_only": c.get("fast_only"),
        "worst": _example(worst, emb, "worst instance found"),
        "worst_rel": (worst or {}).get("rel_margin"), "worst_margin": (worst or {}).get("margin"),
        "ratio_extreme": c.get("ratio_extreme"), "empirical": _empirical_constant(c),
        "minimal": minimal,
        "first_found": _example(ce.get("first_found"), emb, "first violation found (before shrinking)"),
        "ce_worst": None if same_worst else _example(ce_worst, emb, "worst violation"),
        "ce_same_worst": same_worst,
        "marginal": bool(ce.get("marginal")), "marginal_note": _text(ce.get("marginal_note")),
        "confirmation_kind": ce.get("confirmation") if isinstance(ce.get("confirmation"), str) else None,
        "equality_cases": c.get("equality_cases") if isinstance(c.get("equality_cases"), int) else 0,
        "tighten": _tighten_views(c), "findings": [],
        "float_artifacts": {"count": fa.get("count") or 0, "examples": fa.get("examples") or []},
        "unstable": {"count": un.get("count") or 0, "examples": un.get("examples") or []},
        "mutants": [dict(name=k, **(v if isinstance(v, dict) else {})) for k, v in sorted(muts.items())],
        "mutants_killed": n_killed, "mutants_total": len(muts),
        "mutant_names": c.get("mutant_names") or [],
        "baselines": [dict(name=k, **(v if isinstance(v, dict) else {})) for k, v in sorted(bases.items())],
        "refinement": ref, "scaling": scaling, "plots": plot_views,
        "card": card_html((papers.get(prefix) or {}).get("card")),
        "module": c.get("module") or (papers.get(prefix) or {}).get("module") or "",
        "open": not c.get("as_expected", True),
    }


# ----------------------------------------------------------------------------- page
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,               # every claim text is escaped unless explicitly Markup
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters["fmt"] = fmt
    env.filters["sign"] = _sign_class
    env.filters["sortkey"] = _sortkey
    env.filters["tojson_compact"] = lambda v: json.dumps(v, sort_keys=True, default=str)
    return env


def _asset(name: str) -> str:
    return (HERE / "assets" / name).read_text(encoding="utf-8")


def render(report: dict, base_dir: str | Path | None = None, *, embed_limit: int = EMBED_LIMIT,
           embed_total_limit: int = EMBED_TOTAL_LIMIT, plots: bool = True) -> str:
    """Render a report dict (the content of report.json) to one self-contained HTML page.

    `base_dir` is the report directory: instance files named in the report are embedded from it (below
    `embed_limit` bytes each, `embed_total_limit` in all) and linked relative to it otherwise.
    """
    if not isinstance(report, dict):
        from ..errors import InvalidArgument

        raise InvalidArgument(f"certify.report.html.render: report must be a dict (report.json), got "
                              f"{type(report).__name__}; pass json.load(open('report.json'))")
    from . import plots as P

    P.reset_ids()  # the same report gives the same bytes, whatever was rendered before in this process
    emb = _Embedder(Path(base_dir) if base_dir is not None else None, embed_limit, embed_total_limit)
    papers = report.get("papers") if isinstance(report.get("papers"), dict) else {}
    claims = [c for c in (report.get("claims") or []) if isinstance(c, dict)]
    views = [_claim_view(c, papers, emb, plots) for c in claims]
    found = report.get("findings")
    if not isinstance(found, list):  # a report dict built by hand, or an old one: derive them
        found = findings(claims)
    found = [f for f in found if isinstance(f, dict)]
    by_id = {v["id"]: v for v in views}
    for f in found:
        if f.get("claim") in by_id:
            by_id[f["claim"]]["findings"].append(f)
    finding_kinds = [k for k in FINDING_KINDS if any(f.get("kind") == k for f in found)]
    finding_kinds += sorted({str(f.get("kind")) for f in found} - set(finding_kinds))
    counts: dict[str, int] = {}
    for v in views:
        counts[v["status"]] = counts.get(v["status"], 0) + 1
    statuses = [s for s in STATUSES if s in counts] + sorted(s for s in counts if s not in STATUSES)
    paper_ids = sorted({v["paper"] for v in views} | set(papers))
    paper_views = []
    for p in paper_ids:
        mine = [v for v in views if v["paper"] == p]
        by = {}
        for v in mine:
            by[v["status"]] = by.get(v["status"], 0) + 1
        info = papers.get(p) or {}
        card = info.get("card") or ""
        paper_views.append({"id": p, "module": info.get("module") or "", "n": len(mine), "by_status": by,
                            "headline": card.strip().split("\n", 1)[0] if card else "",
                            "card": card_html(card)})
    unexpected = [v for v in views if not v["as_expected"]]
    env = _env()
    tpl = env.get_template("report.html.j2")
    return tpl.render(
        report=report, claims=views, statuses=statuses, counts=counts, papers=paper_views,
        findings=found, finding_kinds=finding_kinds, finding_help=FINDING_HELP,
        unexpected=unexpected, status_help=STATUS_HELP, css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")), guard_js=Markup(_asset("guard.js")),
        versions=report.get("versions") or {}, n_embedded=sum(1 for x in emb.cache.values() if x["embedded"]),
        mathml=_has_latex2mathml(),
    )


def _has_latex2mathml() -> bool:
    try:
        import latex2mathml  # noqa: F401
    except ImportError:
        return False
    return True


def render_dir(report_dir: str | Path) -> Path:
    """Render `<report_dir>/report.json` to `<report_dir>/report.html`; return the path of the page."""
    rdir = Path(report_dir)
    src = rdir / "report.json"
    if not src.exists():
        from ..errors import InvalidArgument

        raise InvalidArgument(f"certify html: no report.json in {str(rdir)!r}; pass the directory given to "
                              "`certify run --report`")
    from .jsonio import load_report

    report = load_report(src)
    import warnings

    import numpy as np

    # plots of extreme values (1e-300 floors, huge ratios) make matplotlib's tickers warn; the page is fine
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        page = render(report, base_dir=rdir)
    out = rdir / "report.html"
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
