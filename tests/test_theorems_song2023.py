"""theorems/song2023_kernel_regression.py: every catalogue row is registered; verdicts at a small smoke budget
(DERIVED rows survive, their mutants are refuted; the other rows run without error)."""

from __future__ import annotations

import pytest

import certify
import theorems.song2023_kernel_regression  # noqa: F401  (registers the claims)
from certify.claim import registry

DERIVED = [
    "song2023.p1_reference", "song2023.p2_reduction", "song2023.cond_powers", "song2023.matrix_exp_truncation",
    "song2023.precond_spectrum", "song2023.ls_richardson", "song2023.gram_richardson", "song2023.nested_error",
    "song2023.kernel_factorisation", "song2023.kernel_definiteness", "song2023.kernel_cond_bound",
    "song2023.kernel_feature_map", "song2023.kernel_taylor_entrywise", "song2023.kernel_taylor_spectral",
    "song2023.spectral_preconditioner", "song2023.exact_reference",
]
RECONSTRUCTED = ["song2023.sketch_embedding", "song2023.p1_solver", "song2023.p2_solver", "song2023.p3_solver",
                 "song2023.p3_kernel_sketch"]
ABSTRACT = ["song2023.fast_algorithms", "song2023.p3_input_sparsity"]


def _ours():
    return {k: v for k, v in registry().items() if k.startswith("song2023.") and "~" not in k}


def test_every_catalogue_row_is_registered_with_its_tag():
    ours = _ours()
    assert sorted(ours) == sorted(DERIVED + RECONSTRUCTED + ABSTRACT)
    rows = [(i, "DERIVED") for i in DERIVED] + [(i, "RECONSTRUCTED") for i in RECONSTRUCTED] + \
        [(i, "ABSTRACT") for i in ABSTRACT]
    assert len(rows) == 23  # kernel_regression.md has 23 rows
    for cid, tag in rows:
        assert ours[cid].tag == tag, cid
    for cid in DERIVED:
        assert ours[cid].expect == "holds" and ours[cid].mutants, cid
    for cid in RECONSTRUCTED + ABSTRACT:
        assert ours[cid].expect is None, cid
    for cid in RECONSTRUCTED:
        assert ours[cid].kind == "probability" and ours[cid].mutants
    for cid in ABSTRACT:
        assert ours[cid].kind == "scaling"


@pytest.mark.parametrize("cid", DERIVED)
def test_derived_claims_survive_and_mutants_are_refuted(cid):
    v = certify.check(cid, profile="smoke", seed=0, budget=8)
    assert v.status == "survived", (v.status, v.reason, v.error)
    assert v.valid_examples >= 5
    for name, m in v.mutants.items():
        assert m["killed"], (name, m)


@pytest.mark.parametrize("cid", RECONSTRUCTED)
def test_reconstructed_claims_run_and_mutants_are_refuted(cid):
    v = certify.check(cid, profile="smoke", seed=0, budget=6)
    assert v.status in ("survived", "refuted"), (v.status, v.reason, v.error)
    killed = [m["killed"] for name, m in v.mutants.items() if name != "drop_assumption"]
    assert killed and all(killed), v.mutants


def test_scaling_claim_reports_an_exponent():
    """The row states no exponent the search may refute: the fit is reported (with its interval), never judged."""
    v = certify.check("song2023.p3_input_sparsity", profile="smoke", seed=0)
    sc = v.scaling
    assert sc["fit"] == "loglog" and sc["ok"]
    assert sc["stated_exponent"] is None and sc["exponent_bound"] is None
    assert v.status == "survived" and "reported only" in v.reason
    assert sc["ci_low"] <= sc["exponent"] <= sc["ci_high"]
    assert len(sc["x"]) == len(sc["y"]) >= 3 and all(y > 0 for y in sc["y"])
