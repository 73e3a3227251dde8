"""Sources: directories, registries, feeds and network APIs, each behind the `Source` contract.

`SOURCE_KINDS` maps a `kind` in ray_config.yaml to its implementation ("module:Class"), imported
lazily so a source's heavy dependencies (a browser, an API SDK) load only when it is used.
"""

from __future__ import annotations

import importlib

from matrix.config import Settings, SourceSettings
from matrix.sources.base import Page, Source, SourceError

SOURCE_KINDS: dict[str, str] = {
    "openaffiliate": "matrix.sources.openaffiliate:OpenAffiliateSource",
    "affiliatefix": "matrix.sources.affiliatefix:AffiliateFixSource",
    "affiliateprograms": "matrix.sources.affiliateprograms:AffiliateProgramsSource",
    "offervault": "matrix.sources.offervault:OfferVaultSource",
    "odigger": "matrix.sources.odigger:OdiggerSource",
    "affplus": "matrix.sources.affplus:AffplusSource",
    "clickbank": "matrix.sources.clickbank:ClickBankSource",
    "awesome": "matrix.sources.awesome:AwesomeListSource",
    "network": "matrix.networks.source:NetworkSource",
    "dork": "matrix.dorking.source:DorkSource",  # candidates found by search-engine dorking (triggers)
}


def build_source(cfg: SourceSettings, settings: Settings) -> Source:
    target = SOURCE_KINDS.get(cfg.kind)
    if target is None:
        raise SourceError(f"sources.{cfg.name}.kind = {cfg.kind!r} is not a known kind; allowed: {sorted(SOURCE_KINDS)}")
    module_name, cls_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(cfg, settings)


__all__ = ["Page", "Source", "SourceError", "SOURCE_KINDS", "build_source"]
