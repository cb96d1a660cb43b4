"""Reads of leads, conversations, messages and prompts, shared by the bot and the admin.

By topic: `history` (what the assistant reads of a conversation), `prompts` (the prompts in
effect and their versions), `admin` (transcripts and lists), `numbers` (what operations and
exports count), `operators` (the outbox and the waits the bot processes look after),
`privacy` (what is kept about a person) and `feedback` (the conversations to ask about).
"""

from conversations.selectors.admin import (
    SHOWN_MESSAGE_FIELDS,
    OtherLead,
    TranscriptEntry,
    TranscriptPage,
    contact_transcript_page,
    conversations_with_message_count,
    same_person_leads,
    transcript_page_of,
)
from conversations.selectors.feedback import SurveyTarget, conversations_to_survey
from conversations.selectors.history import (
    HistoryItem,
    SaidBefore,
    contact_info,
    conversation_history,
    replies_to,
)
from conversations.selectors.numbers import (
    RepliesOfModel,
    handoffs_by_contact,
    not_delivered_counts,
    replies_by_model,
)
from conversations.selectors.operators import (
    OutboxItem,
    WaitingLead,
    leads_to_remind,
    leads_to_tell,
    outbox_next,
    recent_messages,
)
from conversations.selectors.privacy import iso_utc, message_count, personal_data
from conversations.selectors.prompts import prompt_texts, prompt_versions

__all__ = [
    "SHOWN_MESSAGE_FIELDS",
    "HistoryItem",
    "OtherLead",
    "OutboxItem",
    "RepliesOfModel",
    "SaidBefore",
    "SurveyTarget",
    "TranscriptEntry",
    "TranscriptPage",
    "WaitingLead",
    "contact_info",
    "contact_transcript_page",
    "conversation_history",
    "conversations_to_survey",
    "conversations_with_message_count",
    "handoffs_by_contact",
    "iso_utc",
    "leads_to_remind",
    "leads_to_tell",
    "message_count",
    "not_delivered_counts",
    "outbox_next",
    "personal_data",
    "prompt_texts",
    "prompt_versions",
    "recent_messages",
    "replies_by_model",
    "replies_to",
    "same_person_leads",
    "transcript_page_of",
]
