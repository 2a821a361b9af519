"""Password hashing with scrypt (memory-hard; Python's standard library).

Stored form: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``, so the cost can be
raised later and old hashes still verify; :func:`needs_rehash` tells the
sign-in path to store a fresh hash at today's cost once it knows the password.

The default cost is OWASP's recommendation for scrypt (N=2^17, r=8, p=1):
128 MiB of memory and 0.3-0.8 s of one core per hash, which is what makes a
stolen database slow to attack. Stations on weak hardware may lower it with
the ``password_cost`` setting (log2 N, 14 at the least).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

DEFAULT_LOG2_N = 17
"""OWASP's scrypt cost: N = 2^17."""
MIN_LOG2_N = 14
MAX_LOG2_N = 20
_R, _P = 8, 1
_LENGTH = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _maxmem(n: int, r: int) -> int:
    """Memory scrypt may use [bytes]: 128 * N * r, with room to spare (the default is 32 MiB)."""
    return 129 * n * r + (1 << 20)


def hash_password(password: str, log2_n: int = DEFAULT_LOG2_N) -> str:
    """A salted scrypt hash of ``password`` in the stored form, at cost N = 2^``log2_n``."""
    if not MIN_LOG2_N <= log2_n <= MAX_LOG2_N:
        raise ValueError(f"scrypt cost log2 N must be {MIN_LOG2_N}..{MAX_LOG2_N}, got {log2_n}")
    n = 1 << log2_n
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=_R, p=_P, maxmem=_maxmem(n, _R), dklen=_LENGTH
    )
    return f"scrypt${n}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or int(n) > 1 << MAX_LOG2_N:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_maxmem(int(n), int(r)),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str, log2_n: int = DEFAULT_LOG2_N) -> bool:
    """True when ``stored`` was made at a lower cost than N = 2^``log2_n`` (or is unreadable)."""
    try:
        scheme, n, r, _p, _salt, _digest = stored.split("$")
        return scheme != "scrypt" or int(n) < 1 << log2_n or int(r) < _R
    except ValueError:
        return True
