"""The context API as data: every public name of `fp`, `mp` and `ball`, what it does, and (read from the
context objects themselves) which context has it. The README's 'Context API' table is rendered from here
(`api_table_markdown`) and a test keeps the two equal; `undocumented(ctx)` lists public names a context has
that this table lacks, so a new operation cannot stay undocumented."""

from __future__ import annotations

from pathlib import Path

__all__ = ["API", "api_rows", "api_table_markdown", "documented_names", "undocumented", "sync_readme"]

# (name, group, call, meaning). Groups keep the table readable; the order is the table's order.
API: tuple[tuple[str, str, str, str], ...] = (
    ("name", "identity", "ctx.name", "`fp`, `mp(dps)` or `ball(prec)`"),
    ("is_exact", "identity", "ctx.is_exact", "False for float64, True for the reference contexts"),
    ("dps", "identity", "ctx.dps", "decimal digits (15 for float64; prec·log10 2 for ball)"),
    ("prec", "identity", "ctx.prec", "bits of the ball midpoints"),
    ("mpm", "identity", "ctx.mpm", "the private `mpmath.MPContext` (escape hatch; prefer the names below)"),
    ("flint", "identity", "ctx.flint", "the python-flint module (escape hatch)"),
    ("precision", "identity", "with ctx.precision():", "set flint's global working precision to `prec`"),
    ("pi", "constant", "ctx.pi", "π as a context number"),
    ("e", "constant", "ctx.e", "Euler's number as a context number"),
    ("inf", "constant", "ctx.inf", "+∞ as a context number (also the `ord` of `norm`)"),
    ("nan", "constant", "ctx.nan", "not-a-number as a context number"),
    ("eps", "constant", "ctx.eps", "machine epsilon: the relative spacing of the context's numbers"),
    ("unit_roundoff", "constant", "ctx.unit_roundoff",
     "relative rounding error bound: eps/2 in float64 (round to nearest), = eps in the exact contexts"),
    ("convert", "conversion", "ctx.convert(value)",
     "an instance value, recursively (dicts, lists, tuples, sets): floats and float/complex arrays become "
     "context numbers exactly; in mp and ball also complex numbers, Fractions and Decimals (p/q correctly "
     "rounded), numpy ints and int arrays become Python ints, other number types raise `InexactInput`; ints, "
     "bools, strings pass"),
    ("asarray", "conversion", "ctx.asarray(x)",
     "array of context numbers from numbers, (nested) lists/tuples/arrays; exact, idempotent (returns `x` "
     "when it already is one)"),
    ("array", "conversion", "ctx.array(x)", "like `asarray` but always a new array"),
    ("num", "conversion", "ctx.num(x)",
     "one context number (exact for floats, ints, complex, context numbers; Fraction, Decimal: p/q correctly "
     "rounded; fp: float(x))"),
    ("to_float", "conversion", "ctx.to_float(x)", "float64 number or array (rounded; ball: the midpoint)"),
    ("zeros", "constructor", "ctx.zeros(shape)", "array of zeros"),
    ("ones", "constructor", "ctx.ones(shape)", "array of ones"),
    ("eye", "constructor", "ctx.eye(n)", "identity matrix"),
    ("exp", "elementwise", "ctx.exp(x)", "eˣ"),
    ("log", "elementwise", "ctx.log(x)", "natural logarithm"),
    ("sqrt", "elementwise", "ctx.sqrt(x)", "square root"),
    ("expm1", "elementwise", "ctx.expm1(x)", "eˣ − 1 without cancellation"),
    ("log1p", "elementwise", "ctx.log1p(x)", "log(1 + x) without cancellation"),
    ("cos", "elementwise", "ctx.cos(x)", "cosine"),
    ("sin", "elementwise", "ctx.sin(x)", "sine"),
    ("tan", "elementwise", "ctx.tan(x)", "tangent"),
    ("arctan", "elementwise", "ctx.arctan(x)", "inverse tangent"),
    ("arctan2", "elementwise", "ctx.arctan2(y, x)", "angle of (x, y), numpy's argument order, broadcast"),
    ("cosh", "elementwise", "ctx.cosh(x)", "hyperbolic cosine"),
    ("sinh", "elementwise", "ctx.sinh(x)", "hyperbolic sine"),
    ("tanh", "elementwise", "ctx.tanh(x)", "hyperbolic tangent"),
    ("erf", "elementwise", "ctx.erf(x)", "error function"),
    ("sign", "elementwise", "ctx.sign(x)", "−1, 0 or 1 (NaN for NaN; ball: an enclosure)"),
    ("abs", "elementwise", "ctx.abs(x)", "absolute value"),
    ("minimum", "elementwise", "ctx.minimum(a, b)", "elementwise min, broadcast, NaN propagates"),
    ("maximum", "elementwise", "ctx.maximum(a, b)", "elementwise max, broadcast, NaN propagates"),
    ("where", "elementwise", "ctx.where(cond, a, b)", "`a` where `cond` else `b`, broadcast (numpy.where)"),
    ("sum", "reduction", "ctx.sum(x, axis=None)", "sum"),
    ("max", "reduction", "ctx.max(x, axis=None)", "largest element"),
    ("min", "reduction", "ctx.min(x, axis=None)", "smallest element"),
    ("norm", "reduction", "ctx.norm(x, ord=2)", "vector 2, 1, inf, 'max'; matrix 2 (spectral), 'fro', 1, inf, 'max'"),
    ("logsumexp", "reduction", "ctx.logsumexp(x, axis=None)", "log Σ eˣ, stabilised by the max"),
    ("softmax", "reduction", "ctx.softmax(x, axis=-1)",
     "stable softmax; `ctx.softmax.<fn>` is the softmax domain namespace"),
    ("dot", "product", "ctx.dot(a, b)", "numpy.dot (`@` works on the arrays too)"),
    ("matmul", "product", "ctx.matmul(a, b)", "numpy.matmul"),
    ("outer", "product", "ctx.outer(a, b)", "outer product"),
    ("kron", "product", "ctx.kron(a, b)", "Kronecker product"),
    ("transpose", "shape", "ctx.transpose(a)", "transpose"),
    ("reshape", "shape", "ctx.reshape(x, shape)", "reshape (row-major)"),
    ("vec", "shape", "ctx.vec(X)", "row-major vec: vec(X)_{(i-1)d+j} = X_ij"),
    ("diag", "shape", "ctx.diag(v)", "numpy.diag"),
    ("eigvalsh", "linear algebra", "ctx.eigvalsh(A)", "eigenvalues of (A + Aᵀ)/2, ascending"),
    ("eigh", "linear algebra", "ctx.eigh(A)", "eigenvalues ascending and orthonormal eigenvectors"),
    ("eigmin", "linear algebra", "ctx.eigmin(A)", "smallest eigenvalue of the symmetric part"),
    ("eigmax", "linear algebra", "ctx.eigmax(A)", "largest eigenvalue of the symmetric part"),
    ("svdvals", "linear algebra", "ctx.svdvals(A)", "singular values, descending"),
    ("svd", "linear algebra", "ctx.svd(A)", "thin SVD (U, s, Vᵀ)"),
    ("cond", "linear algebra", "ctx.cond(A)", "σ_max / σ_min (inf when σ_min = 0)"),
    ("cholesky", "linear algebra", "ctx.cholesky(A)", "lower Cholesky factor"),
    ("solve", "linear algebra", "ctx.solve(A, b)", "A⁻¹b (b a vector or a matrix)"),
    ("lstsq", "linear algebra", "ctx.lstsq(A, b)", "least-squares solution"),
    ("qr", "linear algebra", "ctx.qr(A)", "thin QR"),
    ("inv", "linear algebra", "ctx.inv(A)", "inverse"),
    ("isfinite", "test", "ctx.isfinite(x)", "True when every element is finite"),
    ("magnitude", "tracking", "ctx.magnitude",
     "largest finite absolute value converted or produced by an operation since `reset_magnitude()` (None: off)"),
    ("reset_magnitude", "tracking", "ctx.reset_magnitude(track=True)",
     "start recording `magnitude` from 0 (`track=False` stops)"),
)

_README_START = "<!-- context-api:start (generated by certify.context.sync_readme(); do not edit) -->"
_README_END = "<!-- context-api:end -->"


def documented_names() -> set[str]:
    return {row[0] for row in API}


def _contexts():
    from . import ball, fp, mp

    return [("fp", fp), ("mp(dps)", mp()), ("ball(prec)", ball())]


def _cell(ctx, name: str) -> str:
    special = getattr(type(ctx), "_value_doc", {}).get(name)
    if special is not None:
        return special
    if name in getattr(type(ctx), "_unsupported", ()):
        return "—"
    if name in vars(ctx) or any(name in vars(k) for k in type(ctx).__mro__):
        return "yes"
    return "—"


def api_rows() -> list[dict]:
    """One dict per public name: name, group, call, meaning, and one cell per context ("yes", "—" or the
    context's value, e.g. eps = 2^-52 in fp)."""
    contexts = _contexts()
    rows = []
    for name, group, call, meaning in API:
        row = {"name": name, "group": group, "call": call, "meaning": meaning}
        for label, ctx in contexts:
            row[label] = _cell(ctx, name)
        rows.append(row)
    return rows


def api_table_markdown() -> str:
    labels = [label for label, _ in _contexts()]
    lines = ["| call | group | " + " | ".join(f"`{x}`" for x in labels) + " | meaning |",
             "|---|---|" + "---|" * len(labels) + "---|"]
    for row in api_rows():
        cells = " | ".join(row[label] for label in labels)
        meaning = row["meaning"].replace("|", "\\|")  # a bare pipe would split the markdown cell
        lines.append(f"| `{row['call']}` | {row['group']} | {cells} | {meaning} |")
    return "\n".join(lines)


def readme_block(text: str) -> str | None:
    """The table between the markers of a README text (None when the markers are missing)."""
    if _README_START not in text or _README_END not in text:
        return None
    return text.split(_README_START, 1)[1].split(_README_END, 1)[0].strip("\n")


def sync_readme(path: str | Path) -> bool:
    """Rewrite the table between the markers of `path` from the code; True when the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if readme_block(text) is None:
        raise ValueError(f"{path}: no '{_README_START}' ... '{_README_END}' markers")
    head, rest = text.split(_README_START, 1)
    tail = rest.split(_README_END, 1)[1]
    new = f"{head}{_README_START}\n{api_table_markdown()}\n{_README_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def undocumented(ctx) -> list[str]:
    """Public names of a context instance that `API` does not document (should be empty)."""
    public = {n for k in type(ctx).__mro__ for n in vars(k) if not n.startswith("_")}
    public |= {n for n in vars(ctx) if not n.startswith("_")}
    return sorted(public - documented_names())
