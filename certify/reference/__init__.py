"""mpmath twins of `certify.kernels`: same module and function names, independent code.

Every public function takes an `mpmath.MPContext` (never the global `mpmath.mp`) as its first
argument, then the same arguments as its kernel twin. Arrays are numpy object arrays of that
context's `mpf` (see `_mparray.to_mp`); float arrays are accepted and converted exactly.
"""
