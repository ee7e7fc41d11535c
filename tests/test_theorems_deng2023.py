"""theorems/deng2023_sparsification.py at the smoke profile: every catalogue row registered, DERIVED rows survive,
every declared mutant is refuted, baselines are reported beside the sparsifier rows."""

from __future__ import annotations

import numpy as np
import pytest

import certify
import theorems.deng2023_sparsification as T  # noqa: F401  (registers the claims)

IDS = [
    "deng2023.attention_identities", "deng2023.entrywise_transfer", "deng2023.spectral_to_entrywise",
    "deng2023.column_leverage", "deng2023.sampling_unbiased", "deng2023.approx_leverage_scores",
    "deng2023.leverage_sampling_sandwich", "deng2023.bss_sandwich", "deng2023.randomized_main",
    "deng2023.randomized_runtime", "deng2023.deterministic_main", "deng2023.deterministic_runtime",
    "deng2023.baseline_trivial", "deng2023.baseline_exact",
]
DERIVED = [i for i in IDS if certify.get_claim(i).tag == "DERIVED"]
CHECKED = DERIVED + ["deng2023.randomized_main", "deng2023.deterministic_main", "deng2023.bss_sandwich"]


def test_every_catalogue_row_is_registered_with_its_tag():
    reg = {k for k in certify.registry() if k.startswith("deng2023.")}
    assert reg == set(IDS)
    tags = {i: certify.get_claim(i).tag for i in IDS}
    assert tags["deng2023.randomized_main"] == "ABSTRACT"
    assert tags["deng2023.bss_sandwich"] == "RECONSTRUCTED"
    assert len(DERIVED) == 7
    for i in IDS:
        c = certify.get_claim(i)
        assert c.mutants, i
        assert (c.expect == "holds") == (c.tag == "DERIVED"), i
        assert "2304.04397" in c.source or c.tag != "ABSTRACT"
    assert certify.get_claim("deng2023.randomized_main").kind == "probability"
    assert set(certify.get_claim("deng2023.deterministic_main").baselines) == {"trivial", "exact"}


@pytest.fixture(scope="module")
def verdicts():
    return {cid: certify.check(cid, profile="smoke", seed=0) for cid in CHECKED}


@pytest.mark.parametrize("cid", DERIVED)
def test_derived_rows_survive_and_mutants_die(verdicts, cid):
    v = verdicts[cid]
    assert v.status == "survived", (cid, v.reason)
    assert v.mutants and all(m["killed"] for m in v.mutants.values()), v.mutants


@pytest.mark.parametrize("cid", ["deng2023.randomized_main", "deng2023.deterministic_main",
                                 "deng2023.bss_sandwich"])
def test_sparsifier_rows_run_mutants_die_and_report_baselines(verdicts, cid):
    v = verdicts[cid]
    assert v.status in ("survived", "refuted"), (cid, v.reason)
    assert all(m["killed"] for m in v.mutants.values()), v.mutants
    if certify.get_claim(cid).baselines:
        assert set(v.baselines) == {"trivial", "exact"}
        for b in v.baselines.values():
            assert b["instances"] > 0 and b["error"] is None
        # the exact baseline meets the error bound on every instance (its error is round-off)
        assert v.baselines["exact"]["meets_bound"]


def test_error_vs_r_evidence_in_both_norms(verdicts):
    names = {p["name"] for p in verdicts["deng2023.deterministic_main"].plots}
    for norm in ("max", "row"):
        for series in ("bss", "trivial", "exact"):
            assert f"error_vs_r[{norm}] {series}" in names


def test_main_claim_body_in_both_contexts_agrees():
    """The claim body gives the same sparsification error (every norm part, not only the m-bound, whose margin
    is an integer difference and dominates the minimum) in float64 and at dps 30 on one instance."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 40))
    X *= np.sqrt(0.05 / np.max(np.abs(X @ X.T)))
    inst = {"X": X, "r": 0.06, "u": 0.9}
    c = certify.get_claim("deng2023.deterministic_main")
    o_fp = c.call(certify.fp, {"inst": certify.fp.convert(inst)})
    ctx = certify.mp(30)
    o_mp = c.call(ctx, {"inst": ctx.convert(inst)})
    err_fp = {p.label: p for p in o_fp.parts if "P(Y)-P(X)" in p.label}
    err_mp = {p.label: p for p in o_mp.parts if "P(Y)-P(X)" in p.label}
    assert set(err_fp) == set(err_mp) and len(err_fp) == 2, (sorted(err_fp), sorted(err_mp))
    for label, p in err_fp.items():
        lhs_fp, lhs_mp = float(p.lhs), float(err_mp[label].lhs)
        assert lhs_fp > 0, label  # a sparsifier with m < d columns has a non-zero error
        assert abs(lhs_fp - lhs_mp) <= 1e-12 + 1e-9 * abs(lhs_mp), (label, lhs_fp, lhs_mp)


def test_leverage_sampling_never_draws_a_column_of_probability_zero():
    """Regression: numpy's multinomial gives its last category whatever the others leave, so a last column of
    sampling probability 0 got draws when the rest summed to 1 - 1e-16: a weight count / (m p) = inf, a NaN
    in Y, and the claim ended `error` (found by the catalogue run at `ci`, on an X with 78 zero columns)."""
    from certify.search.trials import fp_outcome, trial_rng

    X = np.zeros((4, 84))
    cols = [2, 44, 46, 69, 80, 81]
    X[:, cols] = [[0.0, 0.0, 1.3064664816405591e-05, 0.0, 0.0, 0.7735321074247451],
                  [0.00013095607206971695, -0.17670459863732874, 0.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 0.04947965019569137, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 0.0, 0.3907369238379785, 0.0]]
    claim = certify.get_claim("deng2023.leverage_sampling_sandwich")
    inst = {"X": X}
    margins = [float(fp_outcome(claim, inst, trial_rng(0, inst, t)).margin) for t in range(30, 45)]
    assert all(np.isfinite(margins)), margins
