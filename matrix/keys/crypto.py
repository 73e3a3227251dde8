"""Encryption at rest for the local credential file and the Vault fallback cache.

Fernet (AES-128-CBC + HMAC-SHA256) is authenticated: a flipped byte fails the MAC instead of
decrypting to garbage. The file starts with a one-line JSON header holding a fingerprint of the
master key, so "you are using the wrong master key" and "the file was tampered with" are two
different, clear errors instead of one opaque InvalidToken.

The master key comes from MATRIX_KEYS_MASTER_KEY (a Fernet key, e.g. from a K8s Secret) or from a
key file created on first use with mode 0600. Files with group/other permissions are refused at
start: a readable key file is as good as a plaintext credential file.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from matrix.keys.types import CredentialError

MASTER_KEY_ENV = "MATRIX_KEYS_MASTER_KEY"
FORMAT = "matrix-keys/1"


class KeyFileError(CredentialError):
    """The master key or an encrypted file is missing, unreadable, too open, wrong or tampered with."""


def check_private(path: Path) -> None:
    """Refuse a secret-bearing file that group or others can read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"{path} has permissions {oct(mode)}; it holds key material and must be 0600 "
            f"(fix with: chmod 600 {path})"
        )


def atomic_write(path: Path, data: bytes) -> None:
    """Write-temp + fsync + rename, so a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def load_master_key(key_file: Path, environ: dict[str, str] | None = None, create: bool = True) -> bytes:
    """The Fernet key: env var first, else the key file (created 0600 on first use when allowed)."""
    env = os.environ if environ is None else environ
    raw = env.get(MASTER_KEY_ENV)
    source = MASTER_KEY_ENV
    if raw:
        key = raw.strip().encode()
    elif key_file.exists():
        check_private(key_file)
        key = key_file.read_bytes().strip()
        source = str(key_file)
    elif create:
        key = Fernet.generate_key()
        atomic_write(key_file, key + b"\n")
        return key
    else:
        raise KeyFileError(f"no master key: set {MASTER_KEY_ENV} or create {key_file}")
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise KeyFileError(
            f"master key from {source} is not a valid Fernet key (32 url-safe base64 bytes); "
            "generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from None
    return key


def fingerprint(key: bytes) -> str:
    """A non-reversible id of the master key, stored beside the ciphertext to name a key mismatch."""
    return hashlib.sha256(b"matrix-keys-fingerprint:" + key).hexdigest()[:16]


class SealedFile:
    """One JSON document encrypted with the master key, read and written whole."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._fernet = Fernet(key)
        self._fp = fingerprint(key)

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict:
        check_private(self.path)
        blob = self.path.read_bytes()
        header_line, _, token = blob.partition(b"\n")
        try:
            header = json.loads(header_line)
        except ValueError:
            raise KeyFileError(f"{self.path}: not a matrix key file (bad header); it may have been tampered with") from None
        if header.get("format") != FORMAT:
            raise KeyFileError(f"{self.path}: unknown format {header.get('format')!r}, expected {FORMAT!r}")
        if header.get("key") != self._fp:
            raise KeyFileError(
                f"{self.path}: wrong master key (file was sealed with key {header.get('key')}, "
                f"this process has key {self._fp}); set {MASTER_KEY_ENV} or the key file to the original key"
            )
        try:
            plain = self._fernet.decrypt(token.strip())
        except InvalidToken:
            raise KeyFileError(f"{self.path}: integrity check failed - the file was modified or corrupted") from None
        return json.loads(plain)

    def write(self, doc: dict) -> None:
        header = json.dumps({"format": FORMAT, "key": self._fp}).encode()
        token = self._fernet.encrypt(json.dumps(doc, separators=(",", ":")).encode())
        atomic_write(self.path, header + b"\n" + token + b"\n")
