"""Approving writes an entry into the search at once (`knowledge.indexing`, the search's own
tests): here each test sees which entries were sent there."""

import pytest


@pytest.fixture(autouse=True)
def indexed(monkeypatch):
    """The ids of the entries indexed, in order."""
    entries: list[int] = []
    monkeypatch.setattr("knowledge.proposals._index", entries.append)
    return entries
