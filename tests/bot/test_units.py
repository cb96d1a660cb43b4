"""Small pieces of the bot that are easier to see in isolation."""

import pytest

from bot.delivery import Courier
from bot.streaming import ReplyStreamer


@pytest.mark.parametrize("private", [True, False])
def test_each_streamer_gets_its_own_draft_id(private):
    first = ReplyStreamer(Courier(None, 1, deadline_seconds=1), private=private)
    second = ReplyStreamer(Courier(None, 1, deadline_seconds=1), private=private)
    assert first.draft_id != second.draft_id
