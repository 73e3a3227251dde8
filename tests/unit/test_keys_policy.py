"""Component policies: decisions follow Vault's most-specific-wins rule; HCL renders the same rules."""

from __future__ import annotations

import pytest

from matrix.keys.policy import DEFAULT_POLICIES, ComponentPolicy, allows, decide, policies_from_config, render_hcl, validate_pattern
from tests.support.vault_standin import parse_hcl


@pytest.mark.parametrize("component,path,action,expected", [
    ("ingest", "awin/pub/api_token", "read", True),
    ("ingest", "awin/pub/api_token", "write", False),
    ("ingest", "matrix/serve/admin_api_key", "read", False),
    ("serve", "matrix/serve/admin_api_key", "read", True),
    ("serve", "awin/pub/api_token", "read", False),
    ("triggers", "matrix/triggers/webhook_secret", "read", True),
    ("triggers", "matrix/serve/admin_api_key", "read", False),
    ("budget", "matrix/budget/x", "read", True),
    ("budget", "cj/acct/api_key", "read", True),
    ("admin", "matrix/serve/admin_api_key", "write", True),
])
def test_default_policies(component, path, action, expected):
    assert allows(DEFAULT_POLICIES[component], path, action) is expected


def test_most_specific_rule_wins_and_plus_is_one_segment():
    rules = [("*", "read"), ("awin/*", "deny"), ("awin/+/api_token", "write")]
    assert decide(rules, "cj/a/b") == "read"
    assert decide(rules, "awin/a/other") == "deny"
    assert decide(rules, "awin/a/api_token") == "write"
    assert decide(rules, "awin/a/b/api_token") == "deny"
    assert decide([("awin/x", "read")], "awin/xy") is None
    assert ComponentPolicy(read=("a/*",), deny=("a/*",)).rules() == [("a/*", "deny")]


def test_hcl_round_trips_through_a_vault_style_parser():
    hcl = render_hcl("ingest", DEFAULT_POLICIES["ingest"], "kv", "am")
    rules = dict(parse_hcl(hcl))
    assert rules["kv/data/am/*"] == {"read"}
    assert rules["kv/data/am/matrix/*"] == {"deny"}
    assert rules["kv/metadata/am/*"] == {"read", "list", "update"}
    assert "auth/token/renew-self" in rules
    no_prefix = dict(parse_hcl(render_hcl("admin", DEFAULT_POLICIES["admin"], "secret", "")))
    assert no_prefix["secret/data/*"] == {"create", "read", "update"}


def test_config_overrides_and_validation():
    pols = policies_from_config({"serve": {"read": ["matrix/serve/*", "stripe/+/api_key"]}})
    assert allows(pols["serve"], "stripe/main/api_key", "read")
    assert pols["ingest"] == DEFAULT_POLICIES["ingest"]
    with pytest.raises(ValueError, match="only at the end"):
        validate_pattern("a/*/b")
