"""Keeps the analytics rollup (`analytics/models.py`) equal to what the source rows say.

`analytics/receivers.py` calls in here from the model signals of `Contact`, `Conversation`,
`Message` and `ExtractionRun`, in the transaction of the change (the services write one
`transaction.atomic()` per change; the admin's saves and deletes are atomic too).

Concurrent writers stay right because:

- every change to one lead's numbers first locks the lead's row (`FOR NO KEY UPDATE` on
  PostgreSQL, which does not wait for the key-share locks that inserting its messages takes;
  SQLite has one writer at a time), so reading what is counted for the lead and changing it
  cannot interleave with another change of the same lead;
- counters only ever change by additive upserts (`INSERT ... ON CONFLICT DO UPDATE SET
  n = n + excluded.n`, the same SQL on SQLite and PostgreSQL), written in key order, so
  writers of different leads that share a day's row add up instead of overwriting each
  other, and cannot deadlock on those rows.

What moves what:

- a lead: its funnel cell (day, segment - its bot and source -, furthest stage) in
  `DailyLeads`, remembered in `CountedLead`; a new source (or bot) moves every number of the
  lead to it;
- a conversation: its size in `DailyConversations`, remembered in `CountedConversation`;
- a message: its conversation's size; a reply its tokens (`DailyUsage`) and latency bucket
  (`DailyLatency`); a person's first text moves the lead past "started";
- an extraction run: its tokens.

Messages and runs are never edited once stored (the admin shows them read-only). Writes that
send no signals (`bulk_create`, `update()`, raw SQL) and a change of `TIME_ZONE` need
`manage.py rebuild_analytics`; the one such write of the apps below, leads becoming the first
bot's own (`contacts_adopt`), sends a signal of its own that runs it.

Modules: `counters` (adding to the daily tables), `facts` (what a row counts for, one by one
or grouped in the database), `upkeep` (following each change), `rebuild` (recounting
everything).
"""

from analytics.rollup.rebuild import Rebuilt, rollup_rebuild
from analytics.rollup.upkeep import (
    conversation_forget,
    conversation_refresh,
    lead_forget,
    lead_refresh,
    message_forget,
    message_stored,
    run_forget,
    run_stored,
)

__all__ = [
    "Rebuilt",
    "conversation_forget",
    "conversation_refresh",
    "lead_forget",
    "lead_refresh",
    "message_forget",
    "message_stored",
    "rollup_rebuild",
    "run_forget",
    "run_stored",
]
