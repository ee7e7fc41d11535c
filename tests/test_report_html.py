"""The HTML report: rendered from report.json alone, self-contained, escaped, with badges, cards and plots."""

import copy
import json
import re
import subprocess
import sys
import textwrap

import pytest

from certify.report import html as H
from certify.report import jsonio

# A small user module whose report has every kind of plot, baselines and mutants (the demo claims have none).
RICH_CLAIMS = textwrap.dedent('''
    """Rich fixture claims for the HTML report tests: scatter, curve and fit plots, baselines, mutants.

    * norm_bound: ||x||_1 <= C sqrt(n) ||x||_2 (Cauchy-Schwarz), with scatter and curve evidence.
    * work_scaling: a deterministic cost n log n, fitted on a log-log scale.
    """
    import math

    import numpy as np

    import certify
    from certify import strategies as cst


    @certify.claim(
        id="richdemo.norm_bound",
        source="Cauchy-Schwarz (fixture)",
        statement=r"\\|x\\|_1 \\le C \\sqrt{n}\\, \\|x\\|_2",
        tag="DERIVED",
        inputs=dict(x=cst.vectors(n=(2, 12), bound=4.0)),
        params=dict(C=1.0),
        baselines={"loose": dict(C=10.0)},
        mutants=[certify.scale("C", 0.5)],
    )
    def norm_bound(ctx, x, C):
        n = len(x)
        l1 = ctx.sum(ctx.abs(x))
        rhs = C * math.sqrt(n) * ctx.norm(x, 2)
        ratio = float(l1) / float(rhs) if float(rhs) > 0 else 0.0
        partial = np.cumsum(np.sort(np.abs(np.asarray(x, dtype=float)))[::-1]) + 1e-3
        ev = {"ratio_vs_n": {"x": float(n), "y": ratio, "xlabel": "n", "ylabel": "||x||_1 / bound"},
              "partial_sums": {"x": list(range(1, n + 1)), "y": [float(v) for v in partial], "xlabel": "k",
                               "ylabel": "top-k mass"}}
        return certify.le(l1, rhs, evidence=ev)


    @certify.claim(
        id="richdemo.work_scaling",
        source="fixture: n log n",
        statement=r"W(n) = O(n \\log n)",
        tag="USER",
        kind="scaling",
        sweep={"n": [64, 128, 256, 512, 1024]},
        fit="loglog",
        expected_exponent=1.0,
        repeats=1,
    )
    def work_scaling(rng, n):
        return float(n * math.log(n))
''')


def run_certify(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "certify", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def make_report(tmp_dir, demo_path):
    """`certify run` on the demo claims and the rich fixture module, HTML included; returns (dir, process)."""
    rich = tmp_dir / "rich_claims.py"
    rich.write_text(RICH_CLAIMS)
    rdir = tmp_dir / "report"
    proc = run_certify("run", demo_path, str(rich), "--no-default", "--profile", "smoke", "--report", str(rdir),
                       "--jobs", "2", "--quiet")
    return rdir, proc


def shared_report(tmp_path_factory, demo_path):
    """The generated report, made once per test session (tests/test_browser.py opens the same one)."""
    base = tmp_path_factory.getbasetemp() / "certify-html-fixture"
    done = base / "done.json"
    if done.exists():
        info = json.loads(done.read_text())
        proc = subprocess.CompletedProcess(info["args"], info["returncode"], info["stdout"], info["stderr"])
        return base / "report", proc
    base.mkdir(parents=True, exist_ok=True)
    rdir, proc = make_report(base, demo_path)
    done.write_text(json.dumps({"args": proc.args, "returncode": proc.returncode, "stdout": proc.stdout,
                                "stderr": proc.stderr}))
    return rdir, proc


@pytest.fixture(scope="module")
def generated(tmp_path_factory, demo_path):
    rdir, proc = shared_report(tmp_path_factory, demo_path)
    assert (rdir / "report.json").exists(), proc.stderr
    report = jsonio.loads((rdir / "report.json").read_text())  # strict: bare NaN/Infinity would raise
    page = (rdir / "report.html").read_text() if (rdir / "report.html").exists() else None
    return rdir, proc, report, page


def cards(page):
    return re.findall(r'<details class="claim" id="([^"]+)" data-status="([a-z]+)"', page)


def row_badges(page):
    return re.findall(r'<tr data-status="([a-z]+)"', page)


def test_cli_writes_the_page(generated):
    rdir, proc, report, page = generated
    assert page is not None, proc.stderr
    assert f"html: {rdir / 'report.html'}" in proc.stdout
    assert "HTML rendering failed" not in proc.stderr


def test_one_card_and_one_badge_per_claim(generated):
    _, _, report, page = generated
    n = len(report["claims"])
    assert n == 10
    got = cards(page)
    assert [cid for cid, _ in got] == [H.anchor(c["id"]) for c in report["claims"]]
    assert [st for _, st in got] == [c["status"] for c in report["claims"]]
    assert row_badges(page) == [c["status"] for c in report["claims"]]
    # status tiles agree with the report's own summary
    for status, count in report["summary"]["by_status"].items():
        assert re.search(rf'class="tile st-{status}"[^>]*><div class="n">{count}</div>', page), status
    # the unexpected claim (demo.raises) is flagged and open
    assert re.search(r'<details class="claim" id="claim-demo\.raises"[^>]*\sopen>', page)
    assert "<b>Not as expected:</b>" in page


def test_card_content(generated):
    _, _, report, page = generated
    by = {c["id"]: c for c in report["claims"]}
    # counterexample with its instance summary, an embedded download and the reproduce command
    assert "minimal counterexample" in page
    assert 'download="demo.false_sum_bound__counterexample.npz"' in page
    assert "data:application/octet-stream;base64," in page
    assert by["demo.false_sum_bound"]["reproduce"] in page
    # mutants (killed), baselines, float artifacts, traceback, theorem card
    assert "scale(C,0.5)" in page and "&#x2713; killed" in page
    assert "<h3>Baselines</h3>" in page and ">loose</td>" in page
    assert "Float artifacts" in page and "equality" in page
    assert "ZeroDivisionError" in page and "<pre>Traceback" in page
    assert "Theorem card (richdemo)" in page and "Cauchy-Schwarz" in page
    # empirical constant beside the paper's constant (single constant C / c)
    assert "c: paper vs observed" in page
    # statements rendered as MathML (latex2mathml installed) or at least present as escaped source
    if H._has_latex2mathml():
        assert page.count("<math") >= len(report["claims"]) - 1


def test_plots_are_inline_svg(generated):
    _, _, report, page = generated
    by = {c["id"]: c for c in report["claims"]}
    kinds = {p["kind"] for c in report["claims"] for p in c.get("plots") or []}
    assert {"scatter", "curve", "fit"} <= kinds, kinds
    assert page.count("<svg") >= 5
    assert "margin distribution" in page
    assert "ratio_vs_n (scatter)" in page and "partial_sums (curve)" in page and "scaling (fit)" in page
    assert "fit: exponent" in page and "claimed exponent 1" in page
    # compact SVG: no metadata, no global <style>, ids prefixed per plot
    body = page.split("<body>", 1)[1]
    assert "<metadata>" not in body and "<style" not in body
    ids = re.findall(r'<svg[^>]*>.*?</svg>', body, flags=re.S)
    all_ids = [i for svg in ids for i in re.findall(r'\sid="([^"]+)"', svg)]
    assert len(all_ids) == len(set(all_ids))
    assert by["richdemo.work_scaling"]["status"] == "survived"


def test_self_contained(generated):
    _, _, _, page = generated
    # nothing is fetched: no src/href to a network address, no link/import of external assets
    assert not re.search(r'(src|href|action)\s*=\s*["\']?\s*(https?:)?//', page, flags=re.I)
    assert not re.search(r'<link\b', page, flags=re.I)
    assert not re.search(r'@import|url\(\s*["\']?https?:', page, flags=re.I)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # only inline scripts
    assert not re.search(r"<script[^>]*\ssrc=", page, flags=re.I)


def test_rendering_is_deterministic(generated):
    rdir, _, report, page = generated
    # rendered here, in this process, the page is byte for byte the one `certify run` wrote
    assert H.render(copy.deepcopy(report), base_dir=rdir) == page


def _attributes(page):
    from html.parser import HTMLParser

    out = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            out.extend((tag, k, v) for k, v in attrs)

    P().feed(page)
    return out


def _hostile_report():
    evil = '<script>alert("x")</script>'
    claim = {
        "id": "evil.script_statement", "source": f"source {evil}", "statement": evil, "tag": "USER",
        "kind": "bound", "params": {"C": evil}, "expected": "holds", "status": "refuted", "as_expected": False,
        "reason": f"reason {evil}", "examples": 3, "valid_examples": 3,
        "worst": {"margin": -1.0, "rel_margin": -0.5, "ratio": 2.0, "lhs": 2.0, "rhs": 1.0, "relation": "le",
                  "label": evil, "instance": {"summary": {evil: {"shape": [2], "dtype": "float64", "values": [1, 2]}}}},
        "counterexample": None, "ratio_extreme": 2.0,
        "float_artifacts": {"count": 1, "examples": [{"reason": evil, "status": evil}]},
        "unstable": {"count": 0, "examples": []},
        "baselines": {evil: {"instances": 1, "met": 1, "meets_bound": True, "error": evil}},
        "mutants": {evil: {"status": "refuted", "killed": True, "examples": 1, "margin": -1.0, "reason": evil}},
        "plots": [{"name": evil, "kind": "scatter", "xlabel": evil,
                   "series": {evil: {"x": [1, 2, 3], "y": [1, 4, 9]}}}],
        "margins": [], "error": evil, "duration_s": 0.1, "reproduce": f"certify run {evil}", "replay": evil,
        "title": evil, "module": evil,
    }
    latex_evil = dict(claim, id="evil.latex_text", statement=r"a \le b \text{<script>alert(1)</script>}")
    href_evil = dict(claim, id="evil.latex_href", statement=r"\href{javascript:alert(1)}{x} \le 1")
    dollar_evil = dict(claim, id="evil.dollar", statement=r"for all $x \le 1$ <img src=x onerror=alert(1)>")
    return {"schema": "certify-report/1", "profile": evil, "seed": 0, "command": evil,
            "versions": {"certify": evil}, "papers": {"evil": {"module": evil, "card": f"Card {evil}\n\n* item {evil}"}},
            "claims": [claim, latex_evil, href_evil, dollar_evil]}


def test_claim_text_is_escaped():
    page = H.render(_hostile_report(), plots=True)
    body = page.split("<body>", 1)[1]
    # the only <script> elements are the page's own two inline scripts (guard in <head>, main at the end)
    assert len(re.findall(r"<script", page, flags=re.I)) == 2
    assert "<script>alert" not in page and "alert(1)</script>" not in page
    assert "&lt;script&gt;alert(" in body          # shown as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    # no element carries an event handler or a javascript: URL
    urls = ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc")
    bad = [(tag, k, v) for tag, k, v in _attributes(page)
           if k.lower().startswith("on") or (k.lower() in urls and "javascript:" in (v or "").lower())]
    assert not bad
    assert "<img" not in page
    assert len(cards(page)) == 4


def test_mathml_is_sanitised():
    if not H._has_latex2mathml():
        pytest.skip("latex2mathml not installed: statements are shown as escaped LaTeX source")
    m = H.latex_to_mathml(r"\|u-v\|_\infty \le C \sum_i x_i^2")
    assert m.startswith("<math") and "<msub>" in m and "&lt;" not in m
    assert H.latex_to_mathml(r"a \text{<script>alert(1)</script>}") is None   # non-MathML element: rejected
    out = H.latex_to_mathml(r"\href{javascript:alert(1)}{x}")
    assert out is None or "javascript" not in out                                # attribute dropped
    assert H.latex_to_mathml(r"\nosuchcommand x") is None                         # unknown command: fallback
    s = str(H.statement_html(r"a < b \le c"))
    assert "<math" in s and "&lt;" in s
    assert str(H.statement_html("plain ||x|| <= 1 & more")) == \
        '<span class="stmt-plain">plain ||x|| &lt;= 1 &amp; more</span>'


def test_fallback_without_latex2mathml(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_latex2mathml(name, *args, **kwargs):
        if name.startswith("latex2mathml"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_latex2mathml)
    s = str(H.statement_html(r"\|x\|_1 \le \sqrt{n} <b>"))
    assert s == r'<code class="tex-src">\|x\|_1 \le \sqrt{n} &lt;b&gt;</code>'


def test_large_instances_are_linked_not_embedded(generated, tmp_path):
    rdir, _, report, _ = generated
    page = H.render(report, base_dir=rdir, embed_limit=10, plots=False)
    assert "data:application/octet-stream;base64," not in page
    assert 'href="instances/demo.false_sum_bound__counterexample.npz"' in page
    # no base dir: everything is a relative link, nothing is read from disk
    page = H.render(report, plots=False)
    assert "base64," not in page


def test_render_dir_errors_and_bad_input(tmp_path):
    from certify.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="no report.json"):
        H.render_dir(tmp_path)
    with pytest.raises(InvalidArgument, match="must be a dict"):
        H.render(["not", "a", "report"])
    # an empty or minimal report still renders
    page = H.render({"schema": "certify-report/1", "claims": []})
    assert "0 of 0 claims shown" in page


def test_fmt():
    assert H.fmt(None) == "—"
    assert H.fmt(0.0) == "0"
    assert H.fmt(0.60267) == "0.6027"
    assert H.fmt(-2.3646883062777846e-14) == "−2.365e−14"
    assert H.fmt(1e300) == "1e300"
    assert H.fmt(float("inf")) == "∞"
    assert H.fmt("nan") == "nan"
    assert H.fmt(7) == "7"
    assert H.fmt(True) == "yes"


def test_per_series_plots_of_one_quantity_are_merged():
    plots = [{"name": f"error_vs_r[max] {s}", "kind": "scatter", "logx": True, "logy": True,
              "series": {s: {"x": [0.01, 0.02], "y": [1e-3, 2e-3]}}} for s in ("bss", "exact", "trivial")]
    plots.append({"name": "other", "kind": "scatter", "series": {"value": {"x": [1], "y": [2]}}})
    merged = H._merge_plots(plots)
    assert [p["name"] for p in merged] == ["error_vs_r[max]", "other"]
    assert sorted(merged[0]["series"]) == ["bss", "exact", "trivial"]


def test_plots_are_robust_to_odd_data():
    from certify.report import plots as P

    assert P.margin_histogram([]) is None
    assert P.margin_histogram([1.0] * 10) is None                      # nothing to see
    assert P.margin_histogram([None, "nan", "-inf", 0.1, 0.2, 0.3, -0.1, 1e-12]).startswith("<svg")
    assert P.plot_svg({"kind": "scatter", "series": {"a": {"x": [None, "x"], "y": [1, 2]}}}) is None
    assert P.plot_svg({"kind": "curve", "series": {"a": {"x": [1, 2, 3], "y": [0, -1, 2]}}}).startswith("<svg")
    assert P.plot_svg({"kind": "fit", "series": {}, "fit": {"ok": False}}) is None
    assert P.plot_svg({"kind": "unknown"}) is None
    assert P.plot_svg({"kind": "scatter", "series": "garbage"}) is None
    # a few values far below the rest sit on a floor instead of squashing the log axis
    assert P._log_floor(sorted([1e-300, 1e-300] + [10.0 ** -k for k in range(3, 12)])) == 1e-12
    assert P._log_floor([1e-9, 1e-6, 1e-3, 1.0]) is None
    svg = P.series_plot({"kind": "scatter", "logy": True, "series": {
        "a": {"x": list(range(1, 12)), "y": [1e-300, 1e-300] + [10.0 ** -k for k in range(3, 12)]}}})
    assert "drawn on the dotted line" in svg


def test_findings_come_first_and_link_to_the_cards(generated):
    _, _, report, page = generated
    assert list(report)[:2] == ["schema", "findings"]
    kinds = {(f["kind"], f["claim"]) for f in report["findings"]}
    refuted = {c["id"] for c in report["claims"] if c["status"] == "refuted"}
    assert refuted and {cid for k, cid in kinds if k == "refuted"} == refuted
    from certify.report.findings import findings

    assert report["findings"] == findings(report["claims"])  # generated from the verdicts, nothing else
    body = page.split("<main>", 1)[1]
    assert body.index('<section id="findings">') < body.index('<section id="overview">') \
        < body.index('<section id="claims-summary">')
    section = body[body.index('<section id="findings">'):body.index('<section id="overview">')]
    links = re.findall(r'<li class="finding" data-kind="([a-z_]+)"><a class="mono" href="#([^"]+)">', section)
    assert len(links) == len(report["findings"])
    card_ids = {cid for cid, _ in cards(page)}
    assert {a for _, a in links} <= card_ids
    assert f'Findings <span class="muted small">({len(report["findings"])})' in section


def test_findings_tighten_and_marginal_are_rendered_and_escaped():
    evil = '<script>alert("x")</script>'
    report = _hostile_report()
    report["schema"] = "certify-report/2"
    c = report["claims"][0]
    c["counterexample"] = {"minimal": c["worst"], "worst": None, "marginal": True, "marginal_note": evil,
                           "confirmation": "output-only"}
    c["equality_cases"] = 3
    c["tighten"] = [{"param": evil, "direction": "smallest", "paper_value": 100.0, "safe": 0.5, "ruled_out": 0.25,
                     "counterexample": {"margin": -0.1, "lhs": 1.1, "rhs": 1.0}, "stopped": "bracketed",
                     "steps": [{"value": 100.0, "status": "survived", "worst_margin": float("inf"), "examples": 5},
                               {"value": 0.25, "status": "refuted", "worst_margin": -0.1, "examples": 2}]}]
    page = H.render(report, plots=False)  # no "findings" key: derived from the claims
    assert len(re.findall(r"<script", page, flags=re.I)) == 2 and "<script>alert" not in page
    section = page[page.index('<section id="findings">'):page.index('<section id="overview">')]
    for kind in ("refuted", "vacuous", "loose", "tighten", "equality"):
        assert f'data-kind="{kind}"' in section, kind
    assert "&lt;script&gt;" in section and 'class="flag-unexpected">marginal<' in section
    assert "Smallest safe constant" in page and "paper / safe 200×" in page and "2 steps" in page
    assert "<b>Marginal:</b> &lt;script&gt;" in page and "Output-only confirmation" in page
    assert "3 instances where the bound is attained exactly" in page
