"""Every write to leads, conversations and messages goes through these functions.

The bot, the terminal chat, the admin and commands share them. They return plain
dataclasses so async callers never touch lazy ORM relations from the event loop.
Text from a person or a model is made `storable_text` here, where it enters storage.

By topic: `contacts` (the lead and its details, its status), `messages` (what either side
said, and its conversation), `staff_notices` (news told to staff, once), `prompts` (loading
them, a change through the API), `handoffs` (conversations handed to operators, what they
write, the leads' staff topics), `operator_desk` (what operators do in admin or through the
API, left for the bot processes to carry out), `privacy` (a person's data deleted at their
request, texts past the retention period) and `feedback` (ratings of answers and the
satisfaction survey).
"""

from conversations.services.contacts import (
    ContactInfo,
    ContactUpdate,
    contact_mark_blocked,
    contact_record_details,
    contact_set_language,
    contact_set_source,
    contact_set_status,
    contact_touch,
    contacts_adopt,
)
from conversations.services.feedback import (
    RatingInfo,
    rating_record,
    rating_skip_comment,
    rating_take_comment,
    survey_answer,
    survey_start,
)
from conversations.services.handoffs import (
    HandoffInfo,
    TopicInfo,
    handoff_open,
    handoff_person_waits,
    handoff_release,
    handoff_request,
    handoff_take,
    operator_record_message,
    staff_topic_lead,
    staff_topic_of,
    staff_topic_save,
)
from conversations.services.messages import (
    RecordedMessage,
    conversation_start_new,
    message_record_delivery,
    message_record_incoming,
    message_record_reply,
    message_record_transcript,
)
from conversations.services.operator_desk import (
    DESK_TEXT_MAX,
    desk_author_name,
    desk_note,
    desk_release,
    desk_reply,
    desk_take,
    handoff_claim_escalation,
    handoff_claim_reminder,
    outbox_claim,
    outbox_done,
)
from conversations.services.privacy import Erasure, contact_erase, messages_redact_before
from conversations.services.prompts import prompt_update, prompts_load
from conversations.services.staff_notices import (
    StaffNoticeClaim,
    staff_notice_claim,
    staff_notice_record_sent,
    staff_notice_release,
)

__all__ = [
    "DESK_TEXT_MAX",
    "ContactInfo",
    "ContactUpdate",
    "Erasure",
    "HandoffInfo",
    "RatingInfo",
    "RecordedMessage",
    "StaffNoticeClaim",
    "TopicInfo",
    "contact_erase",
    "contact_mark_blocked",
    "contact_record_details",
    "contact_set_language",
    "contact_set_source",
    "contact_set_status",
    "contact_touch",
    "contacts_adopt",
    "conversation_start_new",
    "desk_author_name",
    "desk_note",
    "desk_release",
    "desk_reply",
    "desk_take",
    "handoff_claim_escalation",
    "handoff_claim_reminder",
    "handoff_open",
    "handoff_person_waits",
    "handoff_release",
    "handoff_request",
    "handoff_take",
    "message_record_delivery",
    "message_record_incoming",
    "message_record_reply",
    "message_record_transcript",
    "messages_redact_before",
    "operator_record_message",
    "outbox_claim",
    "outbox_done",
    "prompt_update",
    "prompts_load",
    "rating_record",
    "rating_skip_comment",
    "rating_take_comment",
    "staff_notice_claim",
    "staff_notice_record_sent",
    "staff_notice_release",
    "staff_topic_lead",
    "staff_topic_of",
    "staff_topic_save",
    "survey_answer",
    "survey_start",
]
