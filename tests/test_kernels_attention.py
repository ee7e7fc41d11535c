"""certify.kernels.attention vs the independent mpmath twin (literal eq. (5) + mpm.diff), 1e-10 relative."""

import mpmath
import numpy as np
import pytest

from certify.errors import InvalidArgument
from certify.kernels import attention as K
from certify.reference import attention as R
from certify.reference._mparray import to_float
from certify.strategies.attention import make_instance

TOL = 1e-10
DATA = ("A1", "A2", "A3", "B", "X", "Y")


def _mpm(dps=40):
    m = mpmath.MPContext()
    m.dps = dps
    return m


def _rel(a, b):
    b = to_float(b) if isinstance(b, np.ndarray) and b.dtype == object else np.asarray(b, dtype=float)
    a = np.asarray(a, dtype=float)
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


# (family, n, d, options) -- small enough for mpm.diff Hessians
CASES = {
    "well": ("WELL", 4, 2, {}),
    "self": ("SELF", 4, 2, {}),
    "sat700": ("SAT", 4, 2, {"gap": 700.0}),
    "sat_tie": ("SAT", 4, 2, {"gap": 50.0, "tie": True}),
    "bignorm": ("BIGNORM", 3, 2, {"R_logit": 300.0}),
    "ones_col": ("ONES", 4, 2, {"ones_kind": "column"}),
    "ones_dense": ("ONES", 4, 2, {"ones_kind": "dense"}),
    "dup": ("DUP", 4, 2, {"dup_k": 8}),
    "tiny_n1": ("WELL", 1, 2, {}),
    "tiny_d1": ("WELL", 3, 1, {}),
    "tiny_11": ("WELL", 1, 1, {}),
    "realisable": ("WELL", 3, 2, {"realisable": True, "start_radius": 1e-3}),
    "cond": ("COND", 4, 2, {"kappa": 1e4}),
    "d3": ("WELL", 3, 3, {}),
}
VARIANTS = [
    dict(objective="squared", logit_scale=1.0),
    dict(objective="half_squared", logit_scale=0.5, reg_x="kron_weighted", reg_y="weighted"),
    dict(objective="squared", logit_scale=1 / np.sqrt(2), reg_x="ridge", reg_y="ridge"),
]


def _args(name, variant):
    fam, n, d, opt = CASES[name]
    inst = make_instance(fam, n, d, seed=11, **opt)
    kw = dict(variant)
    if kw.get("reg_x") == "kron_weighted":
        kw["w_x"] = inst["w_x"]
    if kw.get("reg_x") == "ridge":
        kw["lam_x"] = 0.3
    if kw.get("reg_y") == "weighted":
        kw["w_y"] = inst["w_y"]
    if kw.get("reg_y") == "ridge":
        kw["lam_y"] = 0.7
    return tuple(inst[k] for k in DATA), kw


_PAIRS = [(name, 0) for name in CASES] + [(name, vi) for vi in (1, 2)
                                           for name in ("well", "sat_tie", "bignorm", "ones_dense", "tiny_n1", "d3")]


@pytest.mark.parametrize("name, vi", _PAIRS)
def test_loss_gradients_hessians_vs_reference(name, vi):
    args, kw = _args(name, VARIANTS[vi])
    mpm = _mpm(40)
    lr = R.loss(mpm, *args, **kw)
    assert abs(K.loss(*args, **kw) - float(lr)) <= TOL * max(abs(float(lr)), 1e-300)
    assert abs(K.loss_kron(*args, **kw) - float(lr)) <= TOL * max(abs(float(lr)), 1e-300)
    for fn in ("grad_x", "grad_y", "hessian_xx", "hessian_yy", "hessian_xy"):
        got = getattr(K, fn)(*args, **kw)
        ref = getattr(R, fn)(mpm, *args, **kw)
        assert got.shape == ref.shape
        assert _rel(got, ref) < TOL, (fn, _rel(got, ref))
    assert _rel(K.grad_x_kron(*args, **kw), K.grad_x(*args, **kw)) < TOL
    assert _rel(K.hessian_xx_kron(*args, **kw), K.hessian_xx(*args, **kw)) < TOL


@pytest.mark.parametrize("name", ["well", "sat_tie", "tiny_n1", "ones_dense"])
def test_joint_hessian_vs_reference(name):
    args, kw = _args(name, VARIANTS[1])
    H = K.hessian(*args, **kw)
    d2 = args[4].size
    assert H.shape == (2 * d2, 2 * d2)
    assert np.array_equal(H, H.T)
    assert _rel(H, R.hessian(_mpm(30), *args, **kw)) < TOL


@pytest.mark.parametrize("name", ["well", "sat700", "bignorm", "dup", "tiny_11"])
def test_b_blocks(name):
    args, _ = _args(name, VARIANTS[0])
    Bk = K.b_blocks(*args, logit_scale=0.8)
    Br = R.b_blocks(_mpm(40), *args, logit_scale=0.8)
    assert _rel(Bk, Br) < TOL
    assert np.max(np.abs(Bk.sum(axis=2))) <= 1e-13 * max(np.max(np.abs(Bk)), 1e-300) + 1e-300


def test_realisable_at_optimum_absolute_floor():
    # At (X*, Y*) the residual is pure rounding of B = S(X*) A3 Y*: compare with a floor of eps * ||B||_F^2.
    inst = make_instance("SELF", 4, 2, seed=3, realisable=True, start_radius=0.0)
    args = tuple(inst[k] for k in DATA)
    mpm = _mpm(40)
    floor = 1e-14 * np.sum(inst["B"] ** 2)
    assert abs(K.loss(*args) - float(R.loss(mpm, *args))) <= floor
    g, gr = K.grad_x(*args), to_float(R.grad_x(mpm, *args))
    assert np.max(np.abs(g - gr)) <= 1e-13 * np.linalg.norm(inst["B"]) * np.linalg.norm(inst["A1"]) ** 2
    # the Hessians stay well conditioned there
    assert _rel(K.hessian_xx(*args), R.hessian_xx(mpm, *args)) < TOL


def test_larger_loss_and_attention_matrix():
    inst = make_instance("SAT", 12, 3, seed=4, gap=200.0)
    args = tuple(inst[k] for k in DATA)
    mpm = _mpm(30 + 200)
    assert _rel(K.attention_matrix(args[0], args[1], args[4]), R.attention_matrix(mpm, args[0], args[1], args[4])) < TOL
    assert abs(K.loss(*args) / float(R.loss(mpm, *args)) - 1) < TOL
    assert _rel(K.residual(*args), R.residual(mpm, *args)) < TOL


def test_structured_hessian_matches_kron_medium():
    inst = make_instance("WELL", 20, 4, seed=2)
    args = tuple(inst[k] for k in DATA)
    for kw in (dict(), dict(reg_x="kron_weighted", w_x=inst["w_x"], logit_scale=0.25)):
        assert _rel(K.hessian_xx(*args, **kw), K.hessian_xx_kron(*args, **kw)) < 1e-12
        assert _rel(K.grad_x(*args, **kw), K.grad_x_kron(*args, **kw)) < 1e-12
    assert _rel(K._hessian_xx_allnumba(*args, fac=2.0, s=1.0), K.hessian_xx(*args)) < 1e-12


@pytest.mark.parametrize("reg", ["kron_weighted", "ridge", "none"])
def test_regularizer_x_terms(reg):
    inst = make_instance("WELL", 4, 2, seed=5)
    mpm = _mpm(40)
    kw = dict(reg_x=reg, lam_x=0.4, w_x=inst["w_x"])
    A1, A2, X = inst["A1"], inst["A2"], inst["X"]
    v = K.reg_x_value(A1, A2, X, **kw)
    assert abs(v - float(R.reg_x_value(mpm, A1, A2, X, **kw))) <= TOL * max(abs(v), 1e-300)
    assert _rel(K.reg_x_grad(A1, A2, X, **kw), R.reg_x_grad(mpm, A1, A2, X, **kw)) < TOL or reg == "none"
    assert _rel(K.reg_x_hessian(A1, A2, **kw), R.reg_x_hessian(mpm, A1, A2, **kw)) < TOL or reg == "none"


@pytest.mark.parametrize("reg", ["weighted", "ridge"])
def test_regularizer_y_terms(reg):
    inst = make_instance("WELL", 4, 2, seed=6)
    mpm = _mpm(40)
    kw = dict(reg_y=reg, lam_y=0.4, w_y=inst["w_y"])
    A3, Y = inst["A3"], inst["Y"]
    assert abs(K.reg_y_value(A3, Y, **kw) - float(R.reg_y_value(mpm, A3, Y, **kw))) < 1e-12
    assert _rel(K.reg_y_grad(A3, Y, **kw), R.reg_y_grad(mpm, A3, Y, **kw)) < TOL
    assert _rel(K.reg_y_hessian(A3, **kw), R.reg_y_hessian(mpm, A3, **kw)) < TOL


@pytest.mark.parametrize("kind", ["column", "dense"])
def test_flat_direction_ones(kind):
    inst = make_instance("ONES", 6, 3, seed=8, ones_kind=kind)
    args = tuple(inst[k] for k in DATA)
    A2 = inst["A2"]
    z = np.linalg.lstsq(A2, np.ones(6), rcond=None)[0]
    assert np.allclose(A2 @ z, 1.0)
    u = np.random.default_rng(0).normal(size=3)
    dx = np.outer(u, z).reshape(-1)
    H = K.hessian_xx(*args)
    assert np.linalg.norm(H @ dx) <= 1e-12 * np.linalg.norm(H, 2) * np.linalg.norm(dx)
    assert abs(K.grad_x(*args) @ dx) <= 1e-12 * np.linalg.norm(K.grad_x(*args)) * np.linalg.norm(dx)
    Hxy = K.hessian_xy(*args)
    assert np.linalg.norm(Hxy.T @ dx) <= 1e-12 * np.linalg.norm(Hxy, 2) * np.linalg.norm(dx)
    X2 = inst["X"] + 1e3 * dx.reshape(3, 3)
    L0 = K.loss(*args)
    assert abs(K.loss(args[0], args[1], args[2], args[3], X2, args[5]) - L0) <= 1e-8 * L0


def test_hessian_yy_structure():
    inst = make_instance("WELL", 5, 3, seed=9)
    args = tuple(inst[k] for k in DATA)
    H = K.hessian_yy(*args, objective="half_squared")
    S = K.attention_matrix(args[0], args[1], args[4])
    sig = np.linalg.svd(S @ args[2], compute_uv=False)
    assert abs(np.linalg.eigvalsh(H).min() - sig.min() ** 2) < 1e-12 * sig.max() ** 2


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda a: K.loss(a[0][:, :1], *a[1:]), r"kernels\.attention\.loss: bad A2=.*shape"),
        (lambda a: K.loss(*a[:4], a[4][:1], a[5]), r"bad X=.*shape \(1, 2\)"),
        (lambda a: K.loss(*a, objective="cubic"), r"bad objective='cubic'"),
        (lambda a: K.grad_x(*a, objective="norm"), r"grad_x: bad objective='norm'"),
        (lambda a: K.loss(*a, logit_scale=0.0), r"bad logit_scale=0.0.*positive"),
        (lambda a: K.loss(*a, reg_x="lasso"), r"bad reg_x='lasso'"),
        (lambda a: K.loss(*a, reg_x="kron_weighted"), r"bad w_x=None"),
        (lambda a: K.loss(*a, reg_y="weighted", w_y=np.ones(3)), r"bad w_y=.*shape"),
        (lambda a: K.loss(*a, lam_x=-1.0, reg_x="ridge"), r"bad lam_x=-1.0"),
        (lambda a: K.hessian_xx(a[0], a[1], a[2], np.full((4, 2), np.nan), a[4], a[5]), r"bad B=.*finite"),
        (lambda a: K.hessian_xx_kron(*(np.ones((500, 16)),) * 4, np.eye(16), np.eye(16)), r"limited to"),
    ],
)
def test_validation_messages(call, match):
    args, _ = _args("well", VARIANTS[0])
    with pytest.raises(InvalidArgument, match=match):
        call(args)
