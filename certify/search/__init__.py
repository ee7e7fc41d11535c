"""The search. One module per concept:

* `dispatch`  -- `run_claim`: the run of one claim, by kind (bound / probability / scaling);
* `driver`    -- `Search`: Hypothesis exploration, targeting and shrinking, violation handling, the verdict;
* `trials`    -- probability claims: trial streams, the trial loop, Clopper-Pearson (also used by replay);
* `refine`    -- local refinement of the worst instances inside the hypotheses;
* `evidence`  -- what the search keeps: worst and first examples, margins, ratios, plot series;
* `scaling`   -- sweep measurements and the exponent fit;
* `baselines` -- trivial or exact solutions evaluated on the kept instances;
* `mutants`   -- deliberately wrong variants, searched to show the search has teeth;
* `common`    -- instance digest and copy, margin keys.

`run_claim` returns a `certify.verdict.Verdict`: plain data plus the instances (numpy arrays) that the
report writer saves.
"""

from __future__ import annotations

from ..verdict import Example, Verdict
from .common import digest as _digest  # noqa: F401  (kept for callers of the old module)
from .dispatch import run_claim
from .driver import Search
from .scaling import fit_exponent
from .trials import clopper_pearson, trial_rng

_Search = Search  # the old private name (bench/pipeline_costs.py)

__all__ = ["Verdict", "Example", "Search", "run_claim", "clopper_pearson", "trial_rng", "fit_exponent"]
