"""theorems/_template.py, the fill-in card a new paper module is copied from: its card has the six headings in
order, discovery skips it, and its three example claims (bound, probability, scaling) behave at smoke as their
tags promise (DERIVED: survive; every mutant dies), so a copy starts from working code."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from test_catalogue import HEADINGS, headings_in_order

from certify.claim import registry

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "theorems" / "_template.py"
MODULE = "theorems._template"


@pytest.fixture(scope="module")
def template():
    """The template, imported explicitly; its claims leave the registry afterwards (other tests see none)."""
    before = set(registry())
    mod = importlib.import_module(MODULE)
    added = sorted(set(registry()) - before)
    yield mod, added
    for cid in added:
        registry().pop(cid, None)
    sys.modules.pop(MODULE, None)


def test_the_template_card_has_the_six_headings_in_order():
    doc = ast.get_docstring(ast.parse(TEMPLATE.read_text()), clean=False)
    found = [h for h in headings_in_order(doc) if h in HEADINGS]
    assert found == list(HEADINGS), found


def test_discovery_skips_the_template():
    code = ("import sys; from certify.claim import discover, registry; discover(); "
            "print(sorted(c for c in registry() if c.startswith('template.'))); "
            "print('theorems._template' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         check=True).stdout.split("\n")
    assert out[:2] == ["[]", "False"], out


def test_the_template_registers_one_claim_per_kind_under_its_own_prefix(template):
    _, added = template
    assert added and all(cid.startswith("template.") for cid in added), added
    assert sorted(registry()[cid].kind for cid in added) == ["bound", "probability", "scaling"]
    assert all(registry()[cid].module == MODULE for cid in added)


@pytest.mark.parametrize("cid", ["template.softmax_lipschitz", "template.rademacher_sum", "template.trapezoid_rate"])
def test_the_template_claims_survive_and_their_mutants_die_at_smoke(template, cid):
    import certify

    c = registry()[cid]
    v = certify.check(c, profile="smoke", seed=0)
    assert v.status == "survived" and v.as_expected, f"{cid}: {v.status}: {v.reason}"
    assert len(v.mutants) == len(c.mutants) >= 1
    alive = {name: m["status"] for name, m in v.mutants.items() if not m["killed"]}
    assert not alive, f"{cid}: mutants survive at smoke: {alive}"
    assert set(v.baselines) == set(c.baselines)
