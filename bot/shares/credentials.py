"""Link tokens and PINs: made from the OS's randomness, kept only as hashes, compared safely."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 random bits
PIN_DIGITS = 6
_PIN_ITERATIONS = 120_000
_PIN_SCHEME = "pbkdf2_sha256"


def new_token() -> str:
    """A fresh URL-safe token (43 characters) carrying 256 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the store keeps of a token: its SHA-256, which cannot be turned back into a link."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Cheap shape check before a database lookup (URL-safe base64 of 32 bytes)."""
    return len(text) == 43 and all(c.isalnum() or c in "-_" for c in text)


def new_pin() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def pin_hash(pin: str) -> str:
    """A salted, slow hash: a six-digit PIN would fall to a plain hash in a second."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _PIN_ITERATIONS)
    return f"{_PIN_SCHEME}${_PIN_ITERATIONS}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether `pin` is the PIN `stored` was made from (blocking: about 0.1 s of CPU)."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != _PIN_SCHEME:
            return False
        candidate = hashlib.pbkdf2_hmac(
            "sha256", pin.encode(), bytes.fromhex(salt), int(iterations)
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def pin_proof(key: bytes, link_token_hash: str) -> str:
    """What a browser keeps once its PIN was right: it proves that, and reaches nothing else."""
    return hmac.new(key, f"pin:{link_token_hash}".encode(), hashlib.sha256).hexdigest()[:32]


def proof_matches(key: bytes, link_token_hash: str, proof: str) -> bool:
    return hmac.compare_digest(pin_proof(key, link_token_hash), proof)
