"""The HTML report in a real browser: headless Chromium opens the page from disk (file://), with no network.

No extra Python dependency: Chromium's own `--dump-dom` and `--screenshot` modes. Script errors, unhandled
rejections, loads blocked by the page's Content-Security-Policy and console.error calls are turned into
`<div class="js-error">` markers by the page's first inline script, so the dumped DOM reveals them; the
browser's console log (stderr) is checked too. A screenshot is saved under test-artifacts/ (gitignored).

Skipped, with the reason, when no Chromium is installed (Debian: `apt-get install chromium chromium-driver`).
"""

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "test-artifacts"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def _chromium():
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _html_tests():
    spec = importlib.util.spec_from_file_location("_certify_test_report_html", HERE / "test_report_html.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def chromium():
    path = _chromium()
    if path is None:
        pytest.skip("headless Chromium not found (looked for " + ", ".join(CANDIDATES) + "); install the Debian "
                    "packages `chromium chromium-driver` to run the browser test of the HTML report")
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory, demo_path):
    rdir, proc = _html_tests().shared_report(tmp_path_factory, demo_path)
    html = rdir / "report.html"
    assert html.exists(), proc.stderr
    return rdir, json.loads((rdir / "report.json").read_text()), html


def run_chromium(binary, profile_dir, url, *mode, timeout=90):
    args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
            "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile_dir}", *mode, url]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def without_scripts(dom: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", dom, flags=re.S | re.I)


def console_problems(stderr: str) -> list[str]:
    """Console messages Chromium logged for the page (errors, uncaught exceptions, refused loads)."""
    out = []
    for line in stderr.splitlines():
        if ":CONSOLE" in line or "Uncaught" in line or "Refused to" in line:
            out.append(line.strip())
    return out


def test_page_renders_without_errors(chromium, page, tmp_path):
    rdir, report, html = page
    r = run_chromium(chromium, tmp_path / "profile", html.as_uri(), "--dump-dom")
    assert r.returncode == 0 and "<html" in r.stdout, f"chromium failed ({r.returncode}):\n{r.stderr[-3000:]}"
    dom = without_scripts(r.stdout)
    errors = re.findall(r'<div class="js-error"[^>]*>(.*?)</div>', dom, flags=re.S)
    assert not errors, errors
    assert not console_problems(r.stderr), console_problems(r.stderr)
    # the page's script ran to its end and saw one card and one table row per claim
    ready = re.search(r'<div id="js-ready" hidden="" data-cards="(\d+)" data-rows="(\d+)" data-badges="(\d+)"', dom)
    assert ready, "the page's script did not finish (no #js-ready marker)"
    n = len(report["claims"])
    cards, rows, badges = map(int, ready.groups())
    assert cards == rows == n
    assert badges >= 2 * n  # one in the table and one in each card's summary line (plus legend, tiles, mutants)
    assert len(re.findall(r'<details class="claim"', dom)) == n
    # statuses in the DOM match the report
    got = re.findall(r'<tr data-status="([a-z]+)"', dom)
    assert got == [c["status"] for c in report["claims"]]
    # every claim row is visible with no filter
    assert not re.search(r'<tr data-status="[a-z]+"[^>]*\shidden', dom)
    # MathML and inline SVG reached the browser's DOM
    assert "<svg" in dom and "<math" in dom


def test_filters_from_the_address(chromium, page, tmp_path):
    rdir, report, html = page
    r = run_chromium(chromium, tmp_path / "profile", html.as_uri() + "#status=refuted,error", "--dump-dom")
    dom = without_scripts(r.stdout)
    assert "js-ready" in dom, r.stderr[-2000:]
    assert not re.findall(r'<div class="js-error"', dom)
    rows = re.findall(r'<tr data-status="([a-z]+)"([^>]*)>', dom)
    shown = [st for st, attrs in rows if " hidden" not in attrs]
    want = [c["status"] for c in report["claims"] if c["status"] in ("refuted", "error")]
    assert shown == want and len(shown) < len(rows)
    m = re.search(r'id="shown-count">(\d+) of (\d+) claims shown', dom)
    assert m and int(m.group(1)) == len(want) and int(m.group(2)) == len(report["claims"])


def test_screenshot(chromium, page, tmp_path):
    rdir, report, html = page
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "report.png"
    if out.exists():
        out.unlink()
    r = run_chromium(chromium, tmp_path / "profile", html.as_uri(), f"--screenshot={out}", "--window-size=1280,2000")
    assert r.returncode == 0, r.stderr[-3000:]
    assert out.exists() and out.stat().st_size > 20_000, "empty screenshot"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_error_guard_catches_errors(chromium, page, tmp_path):
    """The no-error checks above can fail: a script error and an external load both leave markers."""
    rdir, report, html = page
    broken = html.read_text().replace(
        "</main>", '</main><img src="https://example.invalid/x.png" alt=""><script>noSuchFunction();</script>', 1)
    bad = tmp_path / "broken.html"
    bad.write_text(broken)
    r = run_chromium(chromium, tmp_path / "profile", bad.as_uri(), "--dump-dom")
    errors = re.findall(r'<div class="js-error"[^>]*>(.*?)</div>', without_scripts(r.stdout), flags=re.S)
    assert any("noSuchFunction" in e for e in errors), (errors, r.stderr[-2000:])
    assert any("Content-Security-Policy" in e and "example.invalid" in e for e in errors), errors
