"""Per-evaluation overhead of certify's search around a claim's body, against calling the body directly.

For each claim, the same instances (drawn once from the claim's own strategies) are evaluated
  direct   claim.fn(ctx=fp, **instance): the body alone, what a user's own loop would call;
  certify  Search._refine_eval(instance): the search's per-evaluation path (float64 evaluation through
           Claim.evaluate on a copy of the instance, the Outcome, the collector's bookkeeping), without
           generation (Hypothesis / replay), which the two do not share.
The claims are the suites' few-line bodies (microseconds: the overhead is a fixed cost of roughly a dozen
microseconds, so their ratio shows it at its largest) and one body of realistic weight (a 32 x 32 attention,
float64 only). Times are CPU time of this process (the machine is shared; wall time there mostly measures the others).
Median of --repeats passes over the instances, in the same process, one after the other; ratio = certify /
direct. Results: bench/results/search_power_overhead.{json,md}.

Usage: python bench/search_power_overhead.py [--instances 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import claims_plain  # noqa: E402,F401 - registers the claims
from hypothesis import strategies as st  # noqa: E402

import certify  # noqa: E402
from certify.claim import select  # noqa: E402
from certify.context import fp  # noqa: E402
from certify.profiles import get_profile  # noqa: E402
from certify.search.driver import Search  # noqa: E402


def _matrix(n, d):
    return st.lists(st.floats(-2.0, 2.0), min_size=n * d, max_size=n * d).map(lambda v: np.reshape(v, (n, d)))


@certify.claim(id="overhead.attention_rows", source="derived",
               statement=r"\|\mathrm{softmax}(QK^\top/\sqrt d)\,V\|_\infty \le \|V\|_{\max}", tag="USER",
               inputs=dict(Q=_matrix(32, 8), K=_matrix(32, 8), V=_matrix(32, 8)))
def attention_rows(ctx, Q, K, V):
    # a body of realistic weight (a 32 x 32 attention): every output row is a convex combination of V's rows
    S = Q @ K.T / np.sqrt(8.0)
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S)
    P = P / P.sum(axis=1, keepdims=True)
    return certify.le(np.abs(P @ V).max(), np.abs(V).max() * (1 + 1e-12))


@certify.claim(id="overhead.attention_spectral", source="derived",
               statement=r"\|\mathrm{softmax}(QK^\top/\sqrt d)\|_2 \le \sqrt n", tag="USER",
               inputs=dict(Q=_matrix(32, 8), K=_matrix(32, 8)))
def attention_spectral(ctx, Q, K):
    # heavier: the spectral norm (an SVD) of a row-stochastic 32 x 32 matrix, at most sqrt(n)
    S = Q @ K.T / np.sqrt(8.0)
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P = P / P.sum(axis=1, keepdims=True)
    return certify.le(np.linalg.norm(P, 2), np.sqrt(32.0))


CLAIMS = ("overhead.attention_spectral", "overhead.attention_rows", "plain.vertex_sum", "plain.null_space", "plain.thin_ball", "plain.spread", "tight.kantorovich",
          "tight.young", "tight.gd_huber", "tight.entropy")


def instances(claim, n, seed=0):
    from hypothesis import strategies as st
    from hypothesis.control import BuildContext
    from hypothesis.internal.conjecture.data import ConjectureData

    strategy = st.fixed_dictionaries(dict(claim.inputs))
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        d = ConjectureData(random=rng)
        with BuildContext(d, wrapped_test=None):
            inst = d.draw(strategy)
        # violations are left out: on them the search confirms in high precision, which is not overhead
        if claim.check_assume(inst) and not claim.evaluate(fp, inst).violated:
            out.append(inst)
    return out


def time_pass(fn, insts):
    # CPU time of this process: on a shared machine, wall time mostly measures the other processes
    t = time.process_time()
    for inst in insts:
        fn(inst)
    return (time.process_time() - t) / len(insts)


def measure(claim, n, repeats):
    insts = instances(claim, n)
    search = Search(claim, get_profile("ci"), 0, None)
    params = dict(claim.params)

    def direct(inst):
        return claim.fn(ctx=fp, **params, **inst)

    direct(insts[0])
    search._refine_eval(insts[0])
    d, c = [], []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            d.append(time_pass(direct, insts))
            c.append(time_pass(search._refine_eval, insts))
    dm, cm = statistics.median(d), statistics.median(c)
    return {"claim": claim.id, "direct_us": round(dm * 1e6, 2), "certify_us": round(cm * 1e6, 2),
            "ratio": round(cm / dm, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(HERE / "results" / "search_power_overhead"))
    args = ap.parse_args(argv)
    rows = [measure(c, args.instances, args.repeats) for c in select(list(CLAIMS))]
    result = {"rows": rows, "median_ratio": statistics.median(r["ratio"] for r in rows),
              "max_ratio": max(r["ratio"] for r in rows), "instances": args.instances, "repeats": args.repeats}
    Path(args.out + ".json").write_text(json.dumps(result, indent=1) + "\n")
    L = ["# per-evaluation overhead of the search around the claim body", "",
         f"{args.instances} instances per claim, median of {args.repeats} passes; ratio = certify / direct "
         "(target: within 1.5x). The machine is shared: ratios, not absolute times.", "",
         "| claim | direct (us) | certify (us) | ratio |", "|---|---:|---:|---:|"]
    L += [f"| `{r['claim']}` | {r['direct_us']} | {r['certify_us']} | {r['ratio']} |" for r in rows]
    L += ["", f"median ratio {result['median_ratio']}, max {result['max_ratio']}"]
    Path(args.out + ".md").write_text("\n".join(L) + "\n")
    print("\n".join(L))
    return 0


if __name__ == "__main__":
    sys.exit(main())
