"""Prometheus metrics of key management, shared by the manager, rotation and alerting."""

from matrix.observability import counter, gauge

EVENTS = counter("matrix_keys_events_total", "Key-management events (due, expiring, expired, unhealthy, rotation_failed, "
                 "rotated, revoked, denied)", ["event"])
OPERATIONS = counter("matrix_keys_operations_total", "Key-management operations by action and outcome", ["action", "outcome"])
DAYS_TO_EXPIRY = gauge("matrix_keys_days_to_expiry", "Days until a credential expires (absent when it never expires)", ["ref"])
USE_COUNT = gauge("matrix_keys_use_count", "Times a credential was read through the KeyManager", ["ref"])
