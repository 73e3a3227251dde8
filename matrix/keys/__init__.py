"""Credentials for affiliate networks: one KeyManager over Vault (hvac) or an encrypted local file."""

from matrix.keys.types import (  # noqa: F401
    AccessDenied,
    CredentialError,
    CredentialProvider,
    CredentialRef,
    HealthCheck,
    KeyIssuer,
    KeyStatus,
    Secret,
)
from matrix.keys.manager import CredentialMeta, KeyAlert, KeyManager, RotationConflict  # noqa: F401,E402
