"""Which credentials need a person: expired, expiring, due for rotation, or marked unhealthy.

Pure functions over credential metadata (no store access), so the rules can be read and tested
without a KeyManager; `KeyManager.status()` applies them to every credential and counts the alerts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from matrix.keys.types import CredentialRef, KeyStatus, days_left

if TYPE_CHECKING:
    from matrix.keys.manager import CredentialMeta


@dataclass(frozen=True, slots=True)
class KeyAlert:
    """One credential needing attention: expired, expiring, due (for rotation) or unhealthy."""

    ref: CredentialRef
    state: Literal["expired", "expiring", "due", "unhealthy"]
    days_left: float | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref.path, "state": self.state, "days_left": self.days_left, "detail": self.detail}


def expiry_alert(meta: CredentialMeta, left: float | None, warn: float) -> KeyAlert | None:
    if left is None:
        return None
    if left <= 0:
        return KeyAlert(meta.ref, "expired", left, f"expired {-left:.1f} days ago")
    if left <= warn:
        return KeyAlert(meta.ref, "expiring", left, f"expires in {left:.1f} days")
    return None


def rotation_due_alert(meta: CredentialMeta, now: dt.datetime, warn: float) -> KeyAlert | None:
    until_due = days_left(meta.rotation_due_at, now)
    if until_due is None or until_due > warn:
        return None
    what = "overdue" if until_due <= 0 else f"due in {until_due:.1f} days"
    return KeyAlert(meta.ref, "due", until_due, f"rotation {what} (max age {meta.max_age_days} days)")


def alerts_for(meta: CredentialMeta, now: dt.datetime, warn_before_days: int) -> list[KeyAlert]:
    """Alerts for one credential; `warn_before_days` applies unless the credential sets its own."""
    if meta.status == KeyStatus.REVOKED:
        return []
    warn = meta.warn_before_days if meta.warn_before_days is not None else warn_before_days
    left = days_left(meta.expires_at, now)
    found = [expiry_alert(meta, left, warn), rotation_due_alert(meta, now, warn),
             KeyAlert(meta.ref, "unhealthy", left, meta.unhealthy_reason) if meta.unhealthy_reason else None]
    return [a for a in found if a is not None]
