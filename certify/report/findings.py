"""The findings: what a reader of the papers learns from a report, one line each, generated from the verdicts.

Contract: `findings(records)` is a pure function of the claim records (report.json's ``claims``) and returns
the list that opens report.json and the HTML page, ordered by kind (`KINDS`) then claim id. Each finding is
``{"kind", "claim", "text", "anchor", ...}``: ``anchor`` is the id of the claim's card in report.html
(``#claim-<id>``), ``text`` one plain line; further keys carry the numbers the line was made from.

Kinds (thresholds are module constants, documented in docs/reading-the-report.md):

* ``refuted``         a confirmed counterexample: the minimal one in one line, ``marginal`` (within ~1e3 float64
                      roundoffs: check the encoding) and how it was confirmed;
* ``vacuous``         a baseline (trivial or exact solution) meets the bound on every instance it was evaluated
                      on: which one, on how many, and how often the claimed algorithm failed where it did not;
* ``loose``           the paper's constant is >= `LOOSE_FACTOR` x the empirical one (the bound exceeds the largest
                      observed quantity that much), from the ratio or from a `tighten` result;
* ``tighten``         the smallest (largest) safe value of a constant found by `certify tighten`;
* ``mutant_survived`` a deliberately wrong variant the search did not refute: it cannot tell the claim from it;
* ``equality``        equality cases met (the bound attained exactly, confirmed in high precision);
* ``fragile``         many float artifacts (>= `FRAGILE_MIN` and >= `FRAGILE_SHARE` of the valid examples).
"""

from __future__ import annotations

import math
import re

__all__ = ["findings", "anchor", "empirical_constant", "counterexample_line", "instance_line", "KINDS", "LOOSE_FACTOR",
           "FRAGILE_MIN", "FRAGILE_SHARE"]

KINDS = ("refuted", "vacuous", "loose", "tighten", "mutant_survived", "equality", "fragile")
LOOSE_FACTOR = 100.0
FRAGILE_MIN = 10
FRAGILE_SHARE = 0.01
_CONST_NAME = re.compile(r"^(C|c|K|L|alpha|beta|gamma|kappa|lam|lambda|mu)(_\w+)?'?$")
_TOLERANCE = re.compile(r"tol", re.IGNORECASE)  # C_tol, tol_fd: numerical tolerances, not the paper's constants


def anchor(cid: str) -> str:
    """The HTML id of a claim's card."""
    return "claim-" + re.sub(r"[^A-Za-z0-9_.-]", "_", str(cid))


def _num(x) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _g(x, digits: int = 4) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return str(x)
    if f != f:
        return "nan"
    if f == 0:
        return "0"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f"{f:.{digits}g}"


def _sides(a, b) -> tuple[str, str]:
    """Both sides of a violated comparison with enough significant digits (4 to 17) to tell them apart: a
    violation by 1e-6 read "lhs 17.33 > rhs 17.33"."""
    for digits in range(4, 18):
        sa, sb = _g(a, digits), _g(b, digits)
        if sa != sb:
            return sa, sb
    return _g(a), _g(b)


def empirical_constant(c: dict) -> dict | None:
    """The ratio at its extreme and, when exactly one constant (named like C, c_f, K, ...) scales a `le`/`ge`
    bound, that constant's empirical value (paper value x ratio) and the factor between the two."""
    ratio = _num(c.get("ratio_extreme"))
    if ratio is None:
        return None
    worst = c.get("worst") if isinstance(c.get("worst"), dict) else {}
    rel = worst.get("relation")
    params = c.get("params") if isinstance(c.get("params"), dict) else {}
    consts = {k: v for k, v in params.items() if _CONST_NAME.match(str(k)) and not _TOLERANCE.search(str(k))
              and _num(v) is not None and _num(v) > 0}
    out = {"ratio": ratio, "relation": rel,
           "meaning": ("min of lhs/rhs over the search (≥ 1 means the bound held)" if rel == "ge" else
                       "|a − b| / tolerance at its largest (≤ 1 means within tolerance)" if rel == "close" else
                       "max of lhs/rhs over the search (≤ 1 means the bound held)"),
           "const": None, "factor": None}
    # how far the bound is from the data: rhs/lhs for upper bounds, lhs/rhs for lower bounds
    if rel == "le" and ratio >= 0:
        out["factor"] = math.inf if ratio == 0 else 1.0 / ratio
    elif rel == "ge" and ratio > 0:
        out["factor"] = ratio
    if len(consts) == 1 and rel in ("le", "ge"):
        (k, v), = consts.items()
        out["const"] = {"name": k, "paper": _num(v), "empirical": _num(v) * ratio}
    return out


def instance_line(summary, limit: int = 160) -> str:
    """An instance in one line from its description (`report.instances.describe_instance`)."""
    parts = []
    for k, v in (summary or {}).items() if isinstance(summary, dict) else []:
        if isinstance(v, dict) and ("shape" in v or "sparse" in v):
            shape = "×".join(str(s) for s in v.get("shape") or []) or "scalar"
            vals = v.get("values")
            if isinstance(vals, list) and 0 < len(vals) <= 6:
                if shape == "scalar":
                    parts.append(f"{k}={_g(vals[0])}")
                else:
                    dims = f"({shape})" if "×" in shape else ""
                    parts.append(f"{k}{dims}=[{', '.join(_g(x, 3) for x in vals)}]")
            else:
                extra = f" ‖·‖₂ {_g(v['norm2'], 3)}" if _num(v.get("norm2")) is not None else ""
                parts.append(f"{k} {shape}{extra}")
        elif isinstance(v, dict):
            parts.append(f"{k}={{{instance_line(v, limit // 2)}}}")
        else:
            parts.append(f"{k}={_g(v) if not isinstance(v, str) else v}")
    s = ", ".join(parts)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def counterexample_line(ex: dict) -> str:
    """A counterexample in one line: the violated comparison, then the instance."""
    rel = ex.get("relation")
    sym = {"le": ">", "ge": "<"}.get(rel)
    if sym and ex.get("lhs") is not None and ex.get("rhs") is not None:
        lhs, rhs = _sides(ex.get("lhs"), ex.get("rhs"))
        head = f"lhs {lhs} {sym} rhs {rhs}"
    elif rel == "close" and ex.get("lhs") is not None:
        residual, tolerance = _sides(ex.get("lhs"), ex.get("rhs"))
        head = f"residual {residual} > tolerance {tolerance}"
    else:
        head = f"margin {_g(ex.get('margin'))}"
    trials = ex.get("trials") if isinstance(ex.get("trials"), dict) else None
    conf = ex.get("confirmation") if isinstance(ex.get("confirmation"), dict) else {}
    if trials and conf.get("status") == "confirmed" and all(
            isinstance(v, (int, float)) for v in (conf.get("lhs"), conf.get("margin_2dps"), trials.get("trials"),
                                                  trials.get("delta"))):
        # the verdict rests on the failures re-run in high precision, not on the float64 count: say those
        n = trials["trials"]
        head = (f"{round(conf['lhs'] * n)} of {n} trials confirmed failing in high precision "
                f"({trials.get('failures')} failed in float64; 95% CI of the confirmed rate from "
                f"{_g(trials['delta'] - conf['margin_2dps'], 3)}) vs δ {_g(trials['delta'], 3)}")
    elif trials:
        head = (f"{trials.get('failures')} of {trials.get('trials')} trials failed (rate {_g(trials.get('rate'), 3)}, "
                f"95% CI from {_g(trials.get('cp_low'), 3)}) vs δ {_g(trials.get('delta'), 3)}")
    if ex.get("label"):
        head += f" [{ex['label']}]"
    inst = instance_line((ex.get("instance") or {}).get("summary"))
    return f"{head} at {inst}" if inst else head


def _refuted(c: dict) -> dict | None:
    if c.get("status") != "refuted":
        return None
    ce = c.get("counterexample") if isinstance(c.get("counterexample"), dict) else {}
    ex = ce.get("minimal") if isinstance(ce.get("minimal"), dict) else {}
    marginal = bool(ce.get("marginal") or ex.get("marginal"))
    how = ce.get("confirmation") if isinstance(ce.get("confirmation"), str) else None
    text = counterexample_line(ex) if ex else "no counterexample saved"
    if marginal:
        text += (" — MARGINAL: within float64 rounding of the instance (its entries are shown rounded; the exact "
                 "values are in the saved instance); check the encoding")
    if how == "output-only":
        text += " — confirmed on the float64 output only"
    if c.get("expected") == "refuted":
        text += " (expected: a statement known to be false)"
    return {"text": text, "marginal": marginal, "confirmation": how, "rigorous": bool(c.get("rigorous")),
            "expected": c.get("expected")}


def _vacuous(c: dict) -> list[dict]:
    out = []
    bases = c.get("baselines") if isinstance(c.get("baselines"), dict) else {}
    for name, b in sorted(bases.items()):
        if not isinstance(b, dict) or not b.get("meets_bound") or not b.get("instances"):
            continue
        n = int(b.get("instances") or 0)
        text = f"baseline {name!r} meets the bound on all {n} instances the claim was evaluated on"
        fails = b.get("claim_failed_where_met")
        if isinstance(fails, int) and not isinstance(fails, bool):
            text += (f"; the claimed algorithm fails on {fails} of them (float64)" if fails else
                     "; the claimed algorithm meets it there too")
        out.append({"text": text, "baseline": name, "instances": n,
                    "claim_failed_where_met": fails if isinstance(fails, int) else None})
    return out


def _loose_from_ratio(c: dict, tightened: set) -> dict | None:
    if c.get("status") != "survived" or c.get("kind", "bound") != "bound":
        return None
    emp = empirical_constant(c)
    if not emp or emp["factor"] is None or emp["factor"] < LOOSE_FACTOR:
        return None
    const = emp["const"]
    if not const or const["name"] in tightened:
        return None  # no single constant of the paper scales the bound; or tighten says it with a search behind it
    factor = emp["factor"]
    ftxt = "∞" if math.isinf(factor) else _g(factor, 3)
    if emp["relation"] == "le":
        text = (f"{const['name']} = {_g(const['paper'])} in the paper vs {_g(const['empirical'])} observed: "
                f"{ftxt}× larger than any instance tried needs")
    else:
        text = (f"{const['name']} = {_g(const['paper'])} in the paper vs {_g(const['empirical'])} observed: "
                f"{ftxt}× smaller than any instance tried allows")
    return {"text": text, "param": const["name"], "paper_value": const["paper"],
            "empirical_value": const["empirical"], "factor": None if math.isinf(factor) else factor,
            "source": "ratio"}


def _tighten(c: dict) -> list[tuple[str, dict]]:
    out = []
    results = c.get("tighten") if isinstance(c.get("tighten"), list) else []
    for t in results:
        if not isinstance(t, dict):
            continue
        param, paper, safe = t.get("param"), _num(t.get("paper_value")), _num(t.get("safe"))
        direction = t.get("direction") or "smallest"
        word = "smallest" if direction == "smallest" else "largest"
        if safe is None:
            if t.get("stopped") == "undecided":
                text = f"{param}: the search for the {word} safe value stopped undecided"
            else:
                text = f"{param}: every value tried is refuted (paper {_g(paper)})"
            out.append(("tighten", {"text": text, "param": param, "paper_value": paper, "safe": None,
                                    "direction": direction, "factor": None}))
            continue
        factor = None
        if paper and safe and paper > 0 and safe > 0:
            factor = paper / safe if direction == "smallest" else safe / paper
        text = f"{word} {param} with no violation found at this budget: {_g(safe)} (paper {_g(paper)}"
        if factor is not None:
            text += f", {_g(factor, 3)}× the paper's" if direction == "largest" else f"; paper is {_g(factor, 3)}×"
        text += ")"
        ro = t.get("ruled_out")
        if _num(ro) is not None:
            text += f"; {_g(ro)} is ruled out by a confirmed counterexample"
        data = {"param": param, "paper_value": paper, "safe": safe, "direction": direction, "factor": factor}
        out.append(("tighten", {"text": text, **data}))
        if factor is not None and factor >= LOOSE_FACTOR:
            out.append(("loose", {"text": f"{param} = {_g(paper)} in the paper; {_g(safe)} suffices at this budget "
                                          f"({_g(factor, 3)}× {'smaller' if direction == 'smallest' else 'larger'})",
                                  "param": param, "paper_value": paper, "empirical_value": safe, "factor": factor,
                                  "source": "tighten"}))
    return out


def _mutants(c: dict) -> list[dict]:
    out = []
    muts = c.get("mutants") if isinstance(c.get("mutants"), dict) else {}
    for name, m in sorted(muts.items()):
        if not isinstance(m, dict) or m.get("killed"):
            continue
        status = m.get("status") or "?"
        out.append({"text": f"mutant {name!r} {status}: the search cannot tell the claim from this wrong variant",
                    "mutant": name, "status": status})
    return out


def _equality(c: dict) -> dict | None:
    n = c.get("equality_cases")
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        return None
    return {"text": f"equality cases met on {n} instance{'s' if n != 1 else ''}: the bound is attained exactly "
                    "(zero margin confirmed in high precision)", "count": n}


def _fragile(c: dict) -> dict | None:
    fa = c.get("float_artifacts") if isinstance(c.get("float_artifacts"), dict) else {}
    n = fa.get("count") or 0
    valid = c.get("valid_examples") or 0
    if not isinstance(n, int) or n < FRAGILE_MIN or n < FRAGILE_SHARE * max(valid, 1):
        return None
    share = f" of {valid} valid examples" if valid else ""
    return {"text": f"{n} float artifacts{share}: float64 violations that high precision does not confirm (the "
                    "float64 evaluation is fragile here)", "count": n, "valid_examples": valid}


def findings(records) -> list[dict]:
    """The findings of a report, from its claim records; see the module docstring."""
    out = []
    for c in records:
        if not isinstance(c, dict) or "id" not in c:
            continue
        cid = str(c["id"])
        found: list[tuple[str, dict]] = []
        r = _refuted(c)
        if r:
            found.append(("refuted", r))
        found += [("vacuous", v) for v in _vacuous(c)]
        tfound = _tighten(c)
        tightened = {d["param"] for _k, d in tfound}
        loose = _loose_from_ratio(c, tightened)
        if loose:
            found.append(("loose", loose))
        found += tfound
        found += [("mutant_survived", m) for m in _mutants(c)]
        for kind, fn in (("equality", _equality), ("fragile", _fragile)):
            x = fn(c)
            if x:
                found.append((kind, x))
        for kind, data in found:
            out.append({"kind": kind, "claim": cid, "anchor": "#" + anchor(cid), **data})
    out.sort(key=lambda f: (KINDS.index(f["kind"]), f["claim"]))
    return out
