"""The context API is documented from the code: the README table equals the generated one, every public name
of every context is in the table, and every name the table marks available works (issue 10, item 7)."""

from pathlib import Path

import pytest

import certify
from certify.context import API, api_rows, api_table_markdown, ball, fp, mp, undocumented
from certify.context._api import readme_block

README = Path(__file__).resolve().parent.parent / "README.md"
CONTEXTS = {"fp": fp, "mp(dps)": mp(), "ball(prec)": ball()}


def test_readme_table_is_in_sync_with_the_code():
    block = readme_block(README.read_text(encoding="utf-8"))
    assert block is not None, "README.md lost the context-api markers"
    assert block == api_table_markdown(), (
        "README's Context API table is stale: run "
        "python -c \"import certify.context as c; c.sync_readme('README.md')\"")


@pytest.mark.parametrize("label", sorted(CONTEXTS))
def test_every_public_name_is_documented(label):
    assert undocumented(CONTEXTS[label]) == []


def test_table_cells_match_what_the_contexts_do():
    for row in api_rows():
        for label, ctx in CONTEXTS.items():
            cell = row[label]
            if cell == "—":
                with pytest.raises((certify.CertifyError, AttributeError)):
                    attr = getattr(ctx, row["name"])
                    if callable(attr):
                        attr(*[ctx.eye(2)] * (2 if row["name"] in ("lstsq", "solve") else 1))
            else:
                assert hasattr(ctx, row["name"]), (label, row["name"])


def test_issue_vocabulary_is_complete_everywhere():
    wanted = ("exp log sqrt expm1 log1p cos sin tan arctan arctan2 cosh sinh tanh erf sign abs minimum maximum "
              "where pi e inf nan eps unit_roundoff array to_float").split()
    names = {row[0] for row in API}
    for name in wanted:
        assert name in names
        for label, ctx in CONTEXTS.items():
            assert hasattr(ctx, name), (label, name)
