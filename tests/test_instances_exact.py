"""Instances are saved exactly: `load_instance(save_instance(x)) == x` with the same types, in strict JSON."""

import json
import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from certify.report import jsonio
from certify.report.instances import describe_instance, load_instance, save_instance


def strict(text: str):
    def reject(name):
        raise ValueError(f"bare {name}")

    return json.loads(text, parse_constant=reject)


def roundtrip(tmp_path, instance: dict) -> tuple[dict, dict]:
    save_instance(instance, tmp_path / "inst", {"claim": "t.x"})
    strict((tmp_path / "inst.json").read_text())  # strict JSON, whatever the values
    with np.load(tmp_path / "inst.npz", allow_pickle=False) as z:  # no pickled arrays either
        for k in z.files:
            z[k]
    return load_instance(tmp_path / "inst")


def same(a, b) -> bool:
    """Equal with the same types all the way down (nan == nan, -0.0 != 0.0, Decimal by its exact text)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype == object:
            return all(same(x, y) for x, y in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist(), strict=True))
        return a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (set, frozenset)):
        return a == b
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, complex):
        return repr(a) == repr(b)
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return a == b


def test_fractions_round_trip_exactly_with_big_parts_as_decimal_strings(tmp_path):
    inst = {"x": Fraction(5, 8), "y": Fraction(-(3 ** 5000), 7 ** 3000 + 2), "z": Fraction(7),
            "w": Fraction(1, 3)}
    out, desc = roundtrip(tmp_path, inst)
    assert same(out, inst)
    lay = desc["layout"]["y"]
    assert lay["type"] == "fraction" and isinstance(lay["numerator"], str) and isinstance(lay["denominator"], str)
    assert desc["summary"]["x"] == "5/8" and desc["summary"]["w"] == "1/3"  # the exact value, not 0.625


def test_decimals_round_trip_exactly(tmp_path):
    inst = {"a": Decimal("-1.2300E-7"), "b": Decimal("0.1"), "c": Decimal("NaN"), "d": Decimal("-0E+3"),
            "e": Decimal("-Infinity"), "f": Decimal("3.14159265358979323846264338327950288419716939937510")}
    out, desc = roundtrip(tmp_path, inst)
    assert same(out, inst)
    assert desc["summary"]["b"] == "0.1"


def test_complex_scalars_and_arrays_round_trip_exactly(tmp_path):
    inst = {"z": complex(0.3, -1e-300), "n": complex(math.nan, -math.inf), "m": complex(-0.0, 1.0),
            "A": np.array([[0.3 + 0.9j, -1j], [2.0, np.nan + 1j]]), "B": np.array([1 + 2j], dtype=np.complex64),
            "s": np.complex64(1 - 1j)}
    out, desc = roundtrip(tmp_path, inst)
    assert same(out, inst)
    assert desc["summary"]["A"]["dtype"] == "complex128" and desc["summary"]["A"]["values"][0] == "0.3+0.9j"
    assert desc["summary"]["z"] == "0.3-1e-300j"


def test_ints_of_any_size_round_trip_exactly(tmp_path):
    inst = {"a": 2 ** 63, "b": -(2 ** 3000) + 1, "c": 10 ** 5000 + 7, "d": 2 ** 53 - 1, "e": -5, "t": True}
    out, desc = roundtrip(tmp_path, inst)  # 10**5000 is past CPython's 4300-digit int <-> str limit
    assert same(out, inst)
    assert desc["layout"]["d"] == {"type": "int", "value": 2 ** 53 - 1}
    assert desc["layout"]["a"] == {"type": "int", "text": str(2 ** 63)}


def test_numpy_arrays_and_scalars_keep_their_dtype(tmp_path):
    inst = {"f32": np.array([1.1, -0.0, np.inf], dtype=np.float32), "i8": np.arange(-3, 3, dtype=np.int8),
            "i64": np.array([[2 ** 62, -(2 ** 63)]], dtype=np.int64), "u64": np.array([2 ** 64 - 1], np.uint64),
            "b": np.array([True, False]), "f16": np.array([0.5], np.float16),
            "s32": np.float32(0.1), "s64": np.int64(-7), "su": np.uint8(255), "sb": np.bool_(True),
            "sf": np.float64(2.5)}
    out, _ = roundtrip(tmp_path, inst)
    assert same(out, inst)


def test_containers_round_trip_with_their_types(tmp_path):
    inst = {"fl": [0.1, -0.0, math.nan], "ints": [1, 2, 3], "mixed": [1, 0.5, "a", None], "e": [],
            "fr": [Fraction(1, 3), Fraction(2)], "tup": (1.0, 2.0), "nest": [[1.0, 2.0], [3.0]],
            "fs": frozenset({0.5, -1.0, 2.0}), "st": {1, 2}, "d": {"a": Fraction(1, 3), "b/c": (1, 2j)},
            "dk": {1: "x", (2, 3): None}, "big": [2 ** 70, 1],
            "obj": np.array([Fraction(1, 3), 2 ** 100, Decimal("0.1"), 1.5, 1j, None, True, "s"], dtype=object)}
    out, _ = roundtrip(tmp_path, inst)
    assert same(out, inst)


def test_an_unsavable_value_is_kept_as_text_and_loading_names_it(tmp_path):
    from certify.report.instances import UnsavedValue

    class Odd:
        def __repr__(self):
            return "Odd()"

    save_instance({"x": 1.0, "o": Odd()}, tmp_path / "odd")
    strict((tmp_path / "odd.json").read_text())
    with pytest.raises(UnsavedValue, match=r"input 'o' \(a Odd\).*repr 'Odd\(\)'"):
        load_instance(tmp_path / "odd")


def test_descriptions_of_exact_values_are_json_data_and_schema_valid(tmp_path):
    from certify.verdict import Example, example_record

    inst = {"x": Fraction(5, 8), "z": np.array([0.5 + 1j]), "d": Decimal("1.5"), "n": 2 ** 100, "c": 1j}
    summary = describe_instance(inst)
    strict(jsonio.dumps(summary))
    ex = Example(instance=inst, outcome={"margin": -1.0, "relation": "ge", "lhs": 0.0, "rhs": 1.0}, rel=-1.0)
    rec = example_record(ex, tmp_path / "instances" / "t", tmp_path)
    strict(jsonio.dumps(rec))
    import jsonschema

    schema = jsonio.report_schema()
    jsonschema.validate(jsonio.encode(rec), {"$ref": "#/$defs/example", "$defs": schema["$defs"]})
    assert rec["instance"]["summary"]["x"] == "5/8"
    back, _ = load_instance(tmp_path / "instances" / "t")
    assert same(back, inst)


FRACTION_CLAIMS = '''
from fractions import Fraction
from hypothesis import strategies as st
import certify


@certify.claim(id="exact.fraction_le", statement=r"p/q \\le 3/4", tag="USER",
               inputs=dict(x=st.fractions(min_value=0, max_value=1, max_denominator=50)),
               assume=lambda x: x.denominator >= 4, expect="refuted")
def fraction_le(ctx, x):
    # under the reference x is the context's exact number (p/q at working precision), in float64 a Fraction
    return certify.le(ctx.num(x), ctx.num(3) / 4)
'''


def test_a_refuted_claim_with_fraction_inputs_replays_in_a_fresh_process(tmp_path):
    path = tmp_path / "frac_claims.py"
    path.write_text(FRACTION_CLAIMS)
    rep = tmp_path / "rep"
    run = subprocess.run([sys.executable, "-m", "certify", "run", str(path), "--no-default", "--profile", "smoke",
                          "--seed", "0", "--report", str(rep), "--no-html", "--jobs", "1"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    rec = jsonio.load_report(rep)["claims"][0]
    assert rec["status"] == "refuted"
    ce = rec["counterexample"]["minimal"]["instance"]
    x = ce["summary"]["x"]
    assert isinstance(x, str) and "/" in x, ce
    p, q = map(int, x.split("/"))
    assert q >= 4 and Fraction(p, q) > Fraction(3, 4)
    r = subprocess.run([sys.executable, "-m", "certify", "replay", str(rep), str(path), "exact.fraction_le"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reproduced" in r.stdout and "NOT" not in r.stdout
    assert "Traceback" not in r.stderr
