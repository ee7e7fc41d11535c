"""The exception hierarchy: one root, `CertifyError`, so users can catch everything we raise."""

from __future__ import annotations

__all__ = ["CertifyError", "InvalidArgument", "UnknownClaim", "DuplicateClaim", "ReferenceUnavailable",
           "InexactInput"]


class CertifyError(Exception):
    """Root of every error raised by certify."""


class InvalidArgument(CertifyError, ValueError):
    """A user-supplied value is wrong. The message names who, what, the bad value and the fix."""


class UnknownClaim(InvalidArgument, LookupError):
    """No registered claim matches an id or pattern (a bad argument, so also an InvalidArgument)."""


class DuplicateClaim(CertifyError):
    """Two claims were registered under one id."""


class ReferenceUnavailable(CertifyError):
    """A numeric context has no implementation of a domain quantity."""


class InexactInput(CertifyError, TypeError):
    """An instance value of a number type the exact contexts (mp, ball) cannot convert exactly: passed on as
    it is, the reference would compute with it in its own inexact arithmetic. The message names the input,
    its type and the fix."""


def invalid(where: str, argument: str, value, fix: str) -> InvalidArgument:
    """Build an `InvalidArgument` with the house message format.

    >>> raise invalid("kernels.attention.loss", "A1", "shape (3,)", "pass a 2-D float array of shape (n, d)")
    """
    shown = repr(value)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return InvalidArgument(f"{where}: bad {argument}={shown}; {fix}")
