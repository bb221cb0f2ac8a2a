"""DIN generation never sticks on a number a tube brought with it, even under concurrent
receipts; a typed DIN needs its check character."""

import pytest
from flask import current_app
from sqlalchemy import select

from labtrack.accounts.models import User
from labtrack.audit.capture import Actor, set_actor
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.identity.rules.isbt128 import make_din
from labtrack.numbering import lab_year
from labtrack.orders.models import TreatmentOrder
from labtrack.samples import receipt
from tests import builders
from tests.conftest import build_app
from tests.helpers import run_together


def facility_din(sequence: int):
    return make_din(current_app.config["FACILITY_ID"], lab_year(utcnow()), sequence)


def dins() -> set[str]:
    return set(db.session.scalars(select(Sample.din)))


def test_the_generator_skips_a_number_a_tube_brought_with_it(app):
    for _ in range(9):
        builders.receive(builders.order())  # generated: 1 … 9
    typed = facility_din(10)
    builders.receive(builders.order(), din=typed.keyboard_entry)  # the lab's own next number
    generated = [builders.receive(builders.order()).sample.din for _ in range(3)]
    assert generated == [facility_din(n).text for n in (11, 12, 13)]
    assert typed.text in dins() and len(dins()) == 13


def test_a_generated_number_is_never_given_twice_even_if_several_were_typed(app):
    for sequence in (1, 2, 4):
        builders.receive(builders.order(), din=facility_din(sequence).barcode_data)
    assert builders.receive(builders.order()).sample.din == facility_din(3).text
    assert builders.receive(builders.order()).sample.din == facility_din(5).text


def test_a_typed_din_without_its_check_character_is_refused(app):
    din = facility_din(42)
    with pytest.raises(ServiceError, match="check character") as refused:
        builders.receive(builders.order(), din=din.text)
    assert refused.value.field == "din"
    assert dins() == set()
    assert builders.receive(builders.order(), din=din.keyboard_entry).sample.din == din.text


def test_concurrent_receipts_each_get_a_free_din(app, database_url):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent receipts need PostgreSQL's row locks")
    builders.receive(builders.order(), din=facility_din(2).barcode_data)
    builders.receive(builders.order(), din=facility_din(4).barcode_data)
    order_ids = [builders.order().id for _ in range(4)]
    technician_id = builders.user("technician").id

    def receive(index: int, start) -> None:
        technician = db.session.get(User, technician_id)
        set_actor(db.session, Actor(technician.id, technician.username))
        order = db.session.get(TreatmentOrder, order_ids[index])
        data = builders.receipt_data(order)
        start.wait()
        receipt.receive_sample(technician, order, data,
                               receipt.rules_from_config(current_app.config),
                               current_app.config["FACILITY_ID"])

    errors = run_together([build_app(database_url) for _ in order_ids], receive)
    assert errors == []
    db.session.expire_all()
    assert dins() == {facility_din(n).text for n in (1, 2, 3, 4, 5, 6)}
