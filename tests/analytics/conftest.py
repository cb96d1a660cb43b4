"""A small data set whose analytics are known in advance (see each fixture's table)."""

from datetime import date

import pytest

from conversations.models import Contact, Message
from tests.analytics.seed import conversation, lead, message, moscow

PERIOD = {"date_from": date(2025, 3, 1), "date_to": date(2025, 3, 10)}
DAY_A, DAY_B = "2025-03-03", "2025-03-05"


@pytest.fixture(autouse=True)
def moscow_time(settings):
    settings.TIME_ZONE = "Europe/Moscow"


def _wrote(contact):
    message(conversation(contact), text="How much is an audit?")


@pytest.fixture
def funnel_leads(db):
    """Ten leads in the period; the furthest stage each reached is in the last column.

    | # | day | source | wrote  | contact      | status / qualified_at | furthest |
    | 1 | A   | ads    | yes    | phone        | won                   | won      |
    | 2 | A   | ads    | yes    | e-mail       | qualified_at set      | qualified|
    | 3 | A   | ads    | yes    | phone+e-mail | new                   | shared   |
    | 4 | A   | ads    | yes    | phone        | lost                  | shared   |
    | 5 | A   |        | yes    | -            | in work               | wrote    |
    | 6 | B   |        | yes    | -            | new                   | wrote    |
    | 7 | B   |        | yes    | -            | new                   | wrote    |
    | 8 | B   | ads    | /start | phone        | new                   | started  |
    | 9 | B   | vk     | photo  | -            | new                   | started  |
    | 10| B   |        | none   | -            | new                   | started  |

    Totals: 10 started, 7 wrote, 4 shared, 2 qualified, 1 won. Two more leads fall just
    outside the period (the evening before it and the night after it, Moscow time).
    """
    a, b = moscow(DAY_A), moscow(DAY_B)
    writers = [
        lead(a, source="ads", phone="+79990000001", status=Contact.Status.WON),
        lead(a, source="ads", email="two@example.com", qualified_at=a),
        lead(a, source="ads", phone="+79990000003", email="three@example.com"),
        lead(a, source="ads", phone="+79990000004", status=Contact.Status.LOST),
        lead(a, status=Contact.Status.IN_WORK),
        lead(b),
        lead(b),
    ]
    for contact in writers:
        _wrote(contact)
    started_with_command = lead(b, source="ads", phone="+79990000008")
    message(conversation(started_with_command), text="/start", content_type="command")
    sent_photo = lead(b, source="vk")
    message(conversation(sent_photo), text="", content_type=Message.ContentType.PHOTO)
    lead(b)
    for outside in (moscow("2025-02-28", "23:59"), moscow("2025-03-11", "00:30")):
        _wrote(lead(outside, source="ads", phone="+79990000099", status=Contact.Status.WON))
