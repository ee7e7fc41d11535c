"""The registry of claims and the discovery of the modules that define them.

Contract: `register(claim)` adds a claim record under its id (re-registering the same function, e.g. on a
re-import, is allowed; another function under a taken id is a `DuplicateClaim`); `get_claim` finds a claim by
id (discovering the bundled `theorems` package on demand), by record or by decorated function, and suggests
a close id for a typo; `select` matches glob patterns; `discover` imports every public module of
`theorems`; `load_path` imports user files or folders; `import_claim_home` re-imports a claim's module in a
worker process.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
from pathlib import Path

from .errors import CertifyError, DuplicateClaim, InvalidArgument, UnknownClaim

__all__ = ["register", "registry", "get_claim", "select", "discover", "load_path", "import_claim_home",
           "in_catalogue"]

_REGISTRY: dict = {}


def registry() -> dict:
    return _REGISTRY


def _where(fn) -> str:
    mod = getattr(fn, "__module__", "?")
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        path = None
    return f"{mod} ({path})" if path else mod



def register(rec) -> None:
    old = _REGISTRY.get(rec.id)
    if old is not None and not _same_definition(old, rec):
        raise DuplicateClaim(
            f"claim id {rec.id!r} is defined twice: in {_where(old.fn)} and in {_where(rec.fn)}; "
            "ids are unique forever, rename one"
        )
    _REGISTRY[rec.id] = rec


def _same_definition(a, b) -> bool:
    # Re-importing one file (e.g. pytest's assertion rewriting or reload) must not count as a duplicate.
    return a.fn.__qualname__ == b.fn.__qualname__ and (
        (a.path and a.path == b.path) or a.module == b.module
    )


def get_claim(claim_or_id):
    from .claim import Claim

    if isinstance(claim_or_id, Claim):
        return claim_or_id
    rec = getattr(claim_or_id, "__certify_claim__", None)
    if rec is not None:
        return rec
    if not isinstance(claim_or_id, str):
        raise InvalidArgument(f"expected a claim id or a @certify.claim function, got {claim_or_id!r}")
    if claim_or_id not in _REGISTRY:
        discover()
    if claim_or_id not in _REGISTRY:
        close = _suggest(claim_or_id)
        hint = f"; did you mean {close}?" if close else "; `certify list` shows the registered ids"
        raise UnknownClaim(f"unknown claim id {claim_or_id!r}{hint}")
    return _REGISTRY[claim_or_id]


def _suggest(name: str) -> str:
    """The registered id `name` was probably meant to be, or "". Ids of one module share their prefix
    (``p7a.log_exp``, ``p7a.nope``), which alone made any two look 60 % alike: within the prefix the name after it
    must be close; across prefixes the whole id, more strictly."""
    import difflib

    prefix, _, tail = name.rpartition(".")
    same = {i.rpartition(".")[2]: i for i in _REGISTRY if i.rpartition(".")[0] == prefix}
    hits = difflib.get_close_matches(tail, list(same), n=1, cutoff=0.6)
    if hits:
        return same[hits[0]]
    hits = difflib.get_close_matches(name, [i for i in _REGISTRY if i.rpartition(".")[0] != prefix], n=1,
                                     cutoff=0.75)
    return hits[0] if hits else ""


def select(patterns: list[str] | None) -> list:
    """Claims whose id matches any glob pattern (all claims for none), sorted by id."""
    claims = sorted(_REGISTRY.values(), key=lambda c: c.id)
    if not patterns:
        return claims
    out = []
    for c in claims:
        if any(fnmatch.fnmatchcase(c.id, p) or c.id == p for p in patterns):
            out.append(c)
    return out


_DISCOVERED = False


def discover(include_default: bool = True) -> None:
    """Import the bundled `theorems` package (every module registers its claims)."""
    global _DISCOVERED
    if _DISCOVERED or not include_default:
        return
    try:
        pkg = importlib.import_module("theorems")
    except ModuleNotFoundError:
        _DISCOVERED = True
        return
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"theorems.{info.name}")
    _DISCOVERED = True


def load_path(path: str) -> list[str]:
    """Import a module file or every module of a folder; return the module names imported."""
    p = Path(path)
    if not p.exists():
        raise InvalidArgument(f"no such file or folder: {path!r}; pass a .py file, a folder, or an id pattern")
    files = [p] if p.is_file() else sorted(q for q in p.rglob("*.py") if not q.name.startswith("_"))
    names = []
    for f in files:
        if f.suffix != ".py":
            raise InvalidArgument(f"{str(f)!r} is not a Python file; pass a .py file or a folder of them")
        names.append(_import_file(f.resolve()))
    return names


def _import_file(path: Path, name: str | None = None) -> str:
    """Import the file at `path` (once) and return its module name: `name` if given and free, else a
    `certify_user_` name derived from the path."""
    for mod in list(sys.modules.values()):
        if getattr(mod, "__file__", None) and Path(mod.__file__).resolve() == path:
            return mod.__name__
    if not name or name in sys.modules:
        name = "certify_user_" + re.sub(r"\W", "_", str(path.with_suffix("")))[-80:]
    # a claim file imports helper modules beside it, as pytest's rootdir insertion allows in a test file
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except CertifyError:
        del sys.modules[name]
        raise
    except SyntaxError as exc:
        del sys.modules[name]
        raise InvalidArgument(f"{exc.filename or path}:{exc.lineno}: SyntaxError: {exc.msg}") from None
    except Exception as exc:  # noqa: BLE001 - a user's file failing to import is their mistake, told in one line
        del sys.modules[name]
        raise InvalidArgument(f"{_failing_line(exc, path)}: {type(exc).__name__}: {exc}") from None
    return name


def _failing_line(exc: BaseException, path: Path) -> str:
    """`file:line` of the deepest frame in the user's file (else the deepest frame outside certify)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if Path(f.filename).resolve() == path]
    outside = [f for f in frames if "importlib" not in f.filename and f"{Path(__file__).parent}" not in f.filename]
    f = (mine or outside or frames or [None])[-1]
    return f"{f.filename}:{f.lineno}" if f is not None else str(path)


def in_catalogue(module: str) -> bool:
    """True for the modules of the bundled catalogue (what `discover` imports), False for a user's file."""
    return module == "theorems" or module.startswith("theorems.")


def import_claim_home(module: str, path: str) -> None:
    """Make sure the module that defines a claim is imported (used by worker processes).

    The module name alone is not trusted when the claim's file is known: a worker inherits its parent's
    `sys.path`, where another file of the same name may come first (a test session with both `bench/` and
    `tests/demo/` on the path has two `known_truth.py`). The module counts only if it *is* that file;
    otherwise the file itself is imported.
    """
    home = Path(path).resolve() if path else None

    def is_home(mod) -> bool:
        where = getattr(mod, "__file__", None)
        return home is None or (where is not None and Path(where).resolve() == home)

    if module and module in sys.modules and is_home(sys.modules[module]):
        return
    if module and module not in sys.modules and not module.startswith("certify_user_"):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        # looked up before importing, so a same-named stranger is never executed
        if spec is not None and (home is None or (spec.origin and Path(spec.origin).resolve() == home)):
            try:
                importlib.import_module(module)
                return
            except ImportError:
                pass  # the file import below says what failed, in one line
    if home is not None:
        # under the parent's name where it is free (a top-level one: a dotted name needs its package), so a
        # worker's records name the same module
        _import_file(home, module if module and "." not in module else None)


