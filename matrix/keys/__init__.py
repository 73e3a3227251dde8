"""Credentials for affiliate networks: one KeyManager over Vault (hvac) or an encrypted local file."""

from matrix.keys.alerts import KeyAlert
from matrix.keys.manager import CredentialMeta, KeyManager
from matrix.keys.rotation import RotationConflict
from matrix.keys.types import (
    AccessDenied,
    CredentialError,
    CredentialProvider,
    CredentialRef,
    HealthCheck,
    KeyIssuer,
    KeyStatus,
    Secret,
)

__all__ = ["AccessDenied", "CredentialError", "CredentialMeta", "CredentialProvider", "CredentialRef", "HealthCheck",
           "KeyAlert", "KeyIssuer", "KeyManager", "KeyStatus", "RotationConflict", "Secret"]
