"""Same claim, seed and profile give the same search, whatever other code the process has loaded.

Hypothesis draws literals from the source of loaded local modules; before `certify.search.constants`, a
forked worker of a pytest session (many test modules loaded) and a fresh Dask worker drew different
instances for the same seed (tests/test_cluster.py saw different margins).
"""

import json
import subprocess
import sys
import textwrap

CLAIM = textwrap.dedent("""
    import numpy as np
    from hypothesis import strategies as st
    import certify

    @certify.claim(id="det.bounded_sum", source="derived", statement="n + sum x_i <= 1031", tag="USER",
                   inputs=dict(n=st.integers(1, 1000),
                               x=st.lists(st.floats(-10, 10), min_size=3, max_size=3).map(np.array)))
    def bounded_sum(ctx, n, x):
        return certify.le(ctx.sum(x) + n, 1031.0)
""")

# A local module full of literals inside the floats' range: Hypothesis would pick some of them up.
NOISE = ("FLOATS = [" + ", ".join(repr(0.37 * i) for i in range(50)) + "]\n"
         "INTS = [" + ", ".join(str(7 * i + 3) for i in range(60)) + "]\n")

RUN = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    if sys.argv[2] == "noise":
        import noise_constants  # noqa: F401
    import certify
    from certify.claim import load_path
    load_path(sys.argv[1] + "/det_claims.py")
    v = certify.check("det.bounded_sum", profile="smoke", seed=3)
    print(json.dumps([float(m) for m in v.margins]))
""")


def _margins(tmp_path, mode):
    out = subprocess.run([sys.executable, "-c", RUN, str(tmp_path), mode], capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loaded_modules_do_not_change_the_search(tmp_path):
    (tmp_path / "det_claims.py").write_text(CLAIM)
    (tmp_path / "noise_constants.py").write_text(NOISE)
    plain, noisy = _margins(tmp_path, "plain"), _margins(tmp_path, "noise")
    assert len(plain) > 10
    assert plain == noisy


# The claim's own module, with literals in the floats' range written in no particular order.
LITERAL_CLAIM = CLAIM + "\nHINTS = [" + ", ".join(repr(round(((37 * i) % 101) / 10.1 - 5, 3)) for i in range(60)) + "]\n"


def test_the_first_run_in_a_fresh_clone_searches_like_every_later_run(tmp_path):
    # Hypothesis caches a module's literals in .hypothesis/constants: parsed from source (first run) they were
    # a set filled in source order, read back from the cache (later runs) in sorted order, and a constant is
    # picked by its index in that set. Same seed, a different search on the first run.
    import os

    (tmp_path / "det_claims.py").write_text(LITERAL_CLAIM)
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "hypothesis-home")}
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", RUN, str(tmp_path), "plain"], capture_output=True, text=True,
                             timeout=300, check=True, env=env)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert list((tmp_path / "hypothesis-home" / "constants").iterdir())  # the second run read the cache
    assert len(runs[0]) > 10
    assert runs[0] == runs[1]


CST_CLAIM = textwrap.dedent("""
    from certify import strategies as cst
    import certify

    @certify.claim(id="det.cst_sum", source="derived", statement="sum x_i <= 39.9", tag="USER",
                   inputs=dict(x=cst.vectors(n=(2, 10), bound=4.0)))
    def cst_sum(ctx, x):
        return certify.le(ctx.sum(ctx.abs(x)), 39.9)
""")

RUN_CST = RUN.replace("det.bounded_sum", "det.cst_sum").replace(
    "print(json.dumps([float(m) for m in v.margins]))",
    "print(json.dumps([[float(m) for m in v.margins], v.refinement, v.worst.instance['x'].tolist()]))")


def test_loaded_modules_do_not_change_the_refinement(tmp_path):
    """Regression: refinement's own random draws (the random dense seed of a cst.vectors input, choices past the
    end of a moved sequence) were made outside the claim's constant pool, so a forked worker of a pytest session
    refined differently from a fresh Dask worker (tests/test_cluster.py, in the whole suite only)."""
    (tmp_path / "det_claims.py").write_text(CST_CLAIM)
    (tmp_path / "noise_constants.py").write_text(NOISE)
    runs = [json.loads(subprocess.run([sys.executable, "-c", RUN_CST, str(tmp_path), mode], capture_output=True,
                                      text=True, timeout=300, check=True).stdout.strip().splitlines()[-1])
            for mode in ("plain", "noise")]
    assert runs[0][1].get("choice_space_evals", 0) > 0
    assert runs[0] == runs[1]
