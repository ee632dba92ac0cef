"""Runs a module's docstring examples, comparing the numbers they print within float32's
last digits: transcendental functions (exp, cosh, tanh, ...) come from NumPy's SIMD
routines, which differ by an ulp or two between CPUs (AVX2 against AVX-512), so an
example's exact last digit holds on one machine only."""
from __future__ import annotations

import doctest
import math
import re

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
RTOL = 1e-6      # about 8 float32 ulps
ATOL = 1e-6      # results that are 0 in exact arithmetic (sin(pi), x - x)


class _Checker(doctest.OutputChecker):
    def check_output(self, want, got, optionflags):
        if super().check_output(want, got, optionflags):
            return True
        if "..." in want:
            return False
        shape_want = " ".join(_NUMBER.sub("#", want).split())
        shape_got = " ".join(_NUMBER.sub("#", got).split())
        wanted, gotten = _NUMBER.findall(want), _NUMBER.findall(got)
        return shape_want == shape_got and len(wanted) == len(gotten) and all(
            math.isclose(float(w), float(g), rel_tol=RTOL, abs_tol=ATOL) or
            (w == g) for w, g in zip(wanted, gotten))


def run_examples(module, globs):
    """(failed, attempted) for ``module``'s docstring examples."""
    runner = doctest.DocTestRunner(checker=_Checker(), verbose=False,
                                   optionflags=doctest.ELLIPSIS |
                                   doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module, module.__name__, globs=dict(globs)):
        runner.run(test)
    result = runner.summarize(verbose=False)
    return result.failed, result.attempted
