"""Campaign and daily-performance records, validated on the way in.

Why strict here: every later number (metrics, fitted curves, plans) is only as good as these
rows, so bad input is rejected with the row and field named instead of being clipped or zeroed.
Unknown stays unknown: a report without spend (network reports usually have none) gives
`spend=None`, and every metric that needs spend is then None, never 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

# Active ISO 4217 codes (2024). Kept inline: a typo like "UDS" must fail, not become a currency.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())


class PerformanceError(ValueError):
    """Bad performance input; the message names the row, the field, the value and the rule."""


def check_currency(code: str | None) -> str:
    if code is None:
        raise ValueError("currency is required (ISO 4217, e.g. USD)")
    c = str(code).strip().upper()
    if c not in ISO_4217:
        raise ValueError(f"unknown currency {code!r}; expected an ISO 4217 code such as USD, EUR, GBP")
    return c


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class _CampaignKeyed(_Model):
    """Shared checks of records keyed by campaign and priced in a currency."""

    @field_validator("currency", check_fields=False)
    @classmethod
    def _cur(cls, v: str) -> str:
        return check_currency(v)

    @field_validator("campaign_id", check_fields=False)
    @classmethod
    def _id(cls, v: str) -> str:
        v = str(v).strip()
        if not v:
            raise ValueError("must not be blank")
        return v


class Campaign(_CampaignKeyed):
    """Something the marketer funds (program x channel); optionally linked to a master-index program."""

    campaign_id: str
    name: str | None = None
    program_id: str | None = None
    network: str | None = None
    channel: str | None = None
    currency: str = "USD"



class DailyPerformance(_CampaignKeyed):
    """One campaign on one day. Money in `currency`; counts are absolute, never rates.

    `commission` is what the campaign earned the marketer (the affiliate's revenue);
    `revenue` is the advertiser's sale value when a network reports it (informational).
    """

    campaign_id: str
    date: dt.date
    currency: str
    spend: float | None = None
    impressions: int | None = None
    clicks: int | None = None
    conversions: float | None = None
    commission: float | None = None
    revenue: float | None = None
    program_id: str | None = None
    network: str | None = None
    source: str = "api"


    @field_validator("spend", "impressions", "clicks", "conversions", "commission", "revenue")
    @classmethod
    def _non_negative(cls, v: Any) -> Any:
        if v is not None and v < 0:
            raise ValueError(f"must be >= 0, got {v}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "DailyPerformance":
        today = dt.date.today()
        if self.date > today:
            raise ValueError(f"date {self.date} is in the future (today is {today})")
        if self.clicks is not None and self.conversions is not None and self.impressions is not None:
            if self.clicks > self.impressions:
                raise ValueError(f"clicks ({self.clicks}) exceed impressions ({self.impressions})")
        return self

    @property
    def key(self) -> tuple[str, dt.date]:
        return (self.campaign_id, self.date)


PERF_COLUMNS = list(DailyPerformance.model_fields)
NUMERIC_COLUMNS = ["spend", "impressions", "clicks", "conversions", "commission", "revenue"]
