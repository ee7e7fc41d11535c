"""Benchmark: the polynomial method and top-k sparse attention against exact attention (numpy/BLAS and PyTorch's
scaled_dot_product_attention on CPU), and the memory of one-pass streaming attention (claims/related.md sections 1,
5, 10; alman2023, deng2024g, addanki2023).

Instances: Q = K (self-attention), entries uniform in [-B, B] with B = 1, V ~ N(0, 1), d = max(2, round(c_d ln n))
(c_d = 0.35, d = O(log n)), logits Q K^T / d in [-1, 1] (the bounded-entry regime of 2302.13214).
  exact_numpy   softmax(Q K^T / d) V in float64, row blocks of 128 queries (never all n x n at once).
  sdpa_torch    torch.nn.functional.scaled_dot_product_attention(Q, K, V, scale=1/d) on CPU, float32 (what a user
                would call) and float64.
  poly          certify.kernels.fast_attention.poly_attention: degree g = the smallest Chebyshev degree with relative
                error <= 1e-6 on [-1, 1], r = C(d+g, g) features, T = D~^-1 U1 (U2^T V) in O(n r d).
  topk          k = ceil(sqrt(n)) largest logits per row (n^C-sparse attention with C = 1/2): logits in blocks,
                argpartition, softmax over the kept keys; the work is still n^2 d (the logits are all formed).
Exact, SDPA and top-k times are measured on min(n, 4096) query rows against all n keys and scaled by n / rows
(the cost is linear in the number of queries); the polynomial method runs on all n rows. Errors ||T - Att||_max are
taken on 256 sampled rows against the float64 exact rows.
Streaming: floats kept by certify.kernels.fast_attention.stream_factor_sums (state + one chunk of 4096) against
n = 2^10 ... 2^22 at d = 2, g = 6, against the 2 n d floats of storing K and V; fitted exponent in n.

Threads: everything inside threadpoolctl.threadpool_limits(1) and torch.set_num_threads(1). Medians of --repeats
runs; ratios = exact_numpy time / method time, measured in the same run.

Usage: python bench/fast_attention.py [--repeats 3] [--nmax 100000] [--out bench/results/fast_attention.json]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certify.kernels import fast_attention as FA  # noqa: E402

EPS = 1e-6
QROWS = 4096


def timed(fn, repeats):
    ts, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out


def exact_rows(Q, K, V, scale, block=128):
    out = np.empty((Q.shape[0], V.shape[1]))
    for b in range(0, Q.shape[0], block):
        S = scale * (Q[b:b + block] @ K.T)
        S -= S.max(axis=1, keepdims=True)
        np.exp(S, out=S)
        out[b:b + block] = (S @ V) / S.sum(axis=1, keepdims=True)
    return out


def topk_rows(Q, K, V, scale, k, block=128):
    out = np.empty((Q.shape[0], V.shape[1]))
    for b in range(0, Q.shape[0], block):
        S = scale * (Q[b:b + block] @ K.T)
        idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
        s = np.take_along_axis(S, idx, axis=1)
        w = np.exp(s - s.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        out[b:b + block] = np.einsum("ik,ikj->ij", w, V[idx])
    return out


def sdpa(torch, Q, K, V, scale, dtype):
    q = torch.from_numpy(Q).to(dtype)[None, None]
    k = torch.from_numpy(K).to(dtype)[None, None]
    v = torch.from_numpy(V).to(dtype)[None, None]

    def run():
        with torch.no_grad():
            return torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=scale)[0, 0].double().numpy()

    return run


def attention_rows(n, repeats, torch):
    rng = np.random.default_rng(n)
    d = max(2, round(0.35 * math.log(n)))
    scale = 1.0 / d
    Q = rng.uniform(-1.0, 1.0, (n, d))
    V = rng.standard_normal((n, d))
    K = Q
    g = FA.exp_poly_min_degree(1.0, EPS)
    c = FA.exp_poly_coefficients(1.0, g)
    r = math.comb(d + g, g)
    m = min(n, QROWS)
    qs = rng.choice(n, m, replace=False)
    check = qs[:256]
    ref = exact_rows(Q[check], K, V, scale)
    k = math.ceil(math.sqrt(n))
    rows = []
    t_exact, _ = timed(lambda: exact_rows(Q[qs], K, V, scale), repeats)
    t_exact *= n / m
    rows.append({"n": n, "d": d, "method": "exact_numpy", "time_s": t_exact, "error": 0.0})
    t, T = timed(lambda: FA.poly_attention(Q, K, V, c, scale), repeats)
    rows.append({"n": n, "d": d, "method": "poly", "g": g, "r": r, "time_s": t,
                 "error": float(np.max(np.abs(T[check] - ref)))})
    t, Tk = timed(lambda: topk_rows(Q[qs], K, V, scale, k), repeats)
    rows.append({"n": n, "d": d, "method": "topk", "k": k, "time_s": t * n / m,
                 "error": float(np.max(np.abs(Tk[:256] - ref)))})
    if torch is not None:
        for name, dt in (("sdpa_torch_f32", torch.float32), ("sdpa_torch_f64", torch.float64)):
            run = sdpa(torch, Q[qs], K, V, scale, dt)
            run()
            t, To = timed(run, repeats)
            rows.append({"n": n, "d": d, "method": name, "time_s": t * n / m,
                         "error": float(np.max(np.abs(To[:256] - ref)))})
    for row in rows:
        row["exact_over_method"] = t_exact / row["time_s"]
    return rows


def streaming(repeats):
    out = []
    for e in range(10, 23, 2):
        n = 2**e
        rng = np.random.default_rng(e)
        K, V = rng.uniform(-1, 1, (n, 2)), rng.standard_normal((n, 2))
        t, (_, _, kept) = timed(lambda K=K, V=V: FA.stream_factor_sums(K, V, 6, 4096), repeats)
        out.append({"n": n, "kept_floats": kept, "stored_kv_floats": 4 * n, "time_s": t})
    x = np.log([o["n"] for o in out])
    slope = float(np.polyfit(x, np.log([o["kept_floats"] for o in out]), 1)[0])
    return out, slope


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--nmax", type=int, default=100000)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "fast_attention.json"))
    args = ap.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # torch is an optional bench extra
        torch = None
    ns = [n for n in (1000, 3000, 10000, 30000, 100000) if n <= args.nmax]
    with threadpool_limits(1):
        FA.poly_attention(np.ones((4, 2)), np.ones((4, 2)), np.ones((4, 2)), FA.exp_poly_coefficients(1.0, 3), 0.5)
        att = [row for n in ns for row in attention_rows(n, args.repeats, torch)]
        stream, slope = streaming(args.repeats)
    res = {"platform": platform.platform(), "numpy": np.__version__,
           "torch": None if torch is None else torch.__version__, "repeats": args.repeats, "eps": EPS,
           "attention": att, "streaming": stream, "streaming_exponent": slope}
    Path(args.out).write_text(json.dumps(res, indent=1))
    md = ["# bench/fast_attention.py\n",
          f"One thread (threadpoolctl, torch.set_num_threads(1)), median of {args.repeats} repeats; "
          f"{res['platform']}; numpy {res['numpy']}, torch {res['torch']}. Shared 2-core machine (other jobs "
          "running): times are indicative.\n",
          "## Attention, Q = K uniform in [-1, 1], V ~ N(0, 1), d = max(2, round(0.35 ln n)), logits QK^T/d\n",
          "| n | d | method | g / r / k | time (s) | exact_numpy time / time | error ||T - Att||_max |",
          "|---|---|---|---|---|---|---|"]
    for row in att:
        extra = f"g={row['g']}, r={row['r']}" if "g" in row else (f"k={row['k']}" if "k" in row else "-")
        md.append(f"| {row['n']:.0e} | {row['d']} | {row['method']} | {extra} | {row['time_s']:.3g} | "
                  f"{row['exact_over_method']:.2f} | {row['error']:.1e} |")
    md.append("\nExact, top-k and SDPA times are measured on min(n, 4096) query rows and scaled by n / rows; the "
              "polynomial method runs on all n rows (degree for relative error 1e-6 of exp on [-1, 1]).\n")
    md.append("## Streaming memory (d = 2, g = 6, chunk 4096)\n")
    md.append("| n | floats kept | floats to store K, V | time (s) |")
    md.append("|---|---|---|---|")
    for o in stream:
        md.append(f"| 2^{int(round(math.log2(o['n'])))} | {o['kept_floats']} | {o['stored_kv_floats']} | "
                  f"{o['time_s']:.3g} |")
    md.append(f"\nFitted exponent of floats kept in n: {slope:.3f} (storing K and V: 1).")
    Path(args.out).with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
