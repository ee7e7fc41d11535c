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
