"""The data model: one pydantic definition, Arrow schemas derived from it, unknown stays unknown."""

import datetime as dt

import pyarrow as pa
import pytest
from pydantic import ValidationError

from matrix.models import (LISTING_SCHEMA, PROGRAM_SCHEMA, Approval, Commission, CommissionModel, FieldSource,
                           Listing, Program, arrow_schema, arrow_type, from_row, to_row)


def test_arrow_schema_follows_the_pydantic_fields():
    assert LISTING_SCHEMA.names == list(Listing.model_fields)
    assert PROGRAM_SCHEMA.names == list(Program.model_fields)
    assert PROGRAM_SCHEMA.field("cookie_days").type == pa.float64()
    assert PROGRAM_SCHEMA.field("commission").type.get_field_index("percent_max") >= 0
    assert PROGRAM_SCHEMA.field("provenance").type == pa.string()  # dicts stored as JSON
    assert PROGRAM_SCHEMA.field("last_verified").type == pa.timestamp("us", tz="UTC")


def test_unsupported_annotation_is_rejected():
    with pytest.raises(TypeError):
        arrow_type(complex)
    with pytest.raises(TypeError):
        arrow_type(int | str)


def test_unknown_terms_default_to_unknown_not_zero():
    lst = Listing(source="s", source_id="1", name="X")
    assert lst.commission.model is CommissionModel.UNKNOWN
    assert lst.commission.percent_max is None and lst.cookie_days is None and lst.epc is None
    assert lst.approval is Approval.UNKNOWN


def test_blank_keys_are_rejected():
    with pytest.raises(ValidationError):
        Listing(source=" ", source_id="1", name="X")


def test_row_round_trip_through_arrow():
    p = Program(program_id="p1", name="Acme", commission=Commission(model=CommissionModel.PERCENT, percent_max=30),
                provenance={"name": FieldSource(source="s", source_id="1")},
                last_verified=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
    table = pa.Table.from_pylist([to_row(p)], schema=PROGRAM_SCHEMA)
    back = from_row(Program, table.to_pylist()[0])
    assert back == p


def test_listing_hash_ignores_fetch_time_but_not_terms():
    a = Listing(source="s", source_id="1", name="X", fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    b = a.model_copy(update={"fetched_at": dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)})
    c = a.model_copy(update={"cookie_days": 30.0})
    assert a.compute_hash() == b.compute_hash() != c.compute_hash()


def test_program_hash_ignores_provenance_timestamps():
    p = Program(program_id="p", name="X", provenance={"name": FieldSource(source="s", source_id="1",
                                                                             fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))})
    q = p.model_copy(deep=True)
    q.provenance["name"].fetched_at = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    assert p.compute_hash() == q.compute_hash()
    q.provenance["name"].source = "other"
    assert p.compute_hash() != q.compute_hash()


def test_arrow_schema_accepts_extra_fields():
    s = arrow_schema(Listing, [pa.field("vector", pa.list_(pa.float32(), 4))])
    assert s.names[-1] == "vector"
