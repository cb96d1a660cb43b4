"""Leads, their cards, conversations and messages; a lead's status; a message to the person."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from api.auth import token
from api.cursors import paginate
from api.schemas import ERRORS, MAX_ID, ONE, Body, Cursor, Error, IsoDateTime, Limit, PathId
from api.scopes import Scope
from conversations.models import Contact, Conversation, Message
from conversations.services import DESK_TEXT_MAX, contact_set_status, desk_reply
from discovery.selectors import contact_interests, lead_card

router = Router(tags=["leads"])


class LeadOut(Schema):
    id: int
    bot: int | None
    channel: Contact.Channel
    status: Contact.Status
    #: The person's data is empty once it was deleted at their request (`erased_at`).
    name: str
    username: str
    phone: str
    email: str
    language: str
    source: str
    created_at: datetime
    last_message_at: datetime | None
    qualified_at: datetime | None
    erased_at: datetime | None


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class CardValue(Schema):
    key: str
    label: str
    required: bool
    value: str | None = Field(description="How the value reads; null: not known yet.")
    changed_at: datetime | None


class LeadDetail(LeadOut):
    card: list[CardValue]
    interests: list[str] = Field(description="Titles of the services the person asked about.")


class StatusIn(Body):
    status: Contact.Status


class ConversationOut(Schema):
    id: int
    group_chat_id: str = Field(description="Empty for the private chat with the person.")
    started_at: datetime
    last_message_at: datetime | None
    closed_at: datetime | None


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class MessageOut(Schema):
    id: int
    conversation: int
    role: Message.Role
    content_type: Message.ContentType
    text: str = Field(description="Empty once removed (`redacted`).")
    redacted: bool
    author_name: str
    created_at: datetime
    delivery: str = Field(
        description="For what was sent to the person: pending, delivered, uncertain "
        "(maybe delivered) or undelivered; empty for what the person sent."
    )
    delivery_error: str


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class MessageIn(Body):
    text: str = Field(min_length=1, max_length=DESK_TEXT_MAX, pattern=r"\S")


class MessageQueued(Schema):
    message_id: int
    delivery: str = Field(description="`pending` until a bot process has sent it.")
    follow: str = Field(description="Where the message's delivery state shows.")


def _lead_out(contact: Contact) -> dict:
    erased = contact.erased_at is not None
    return {
        "id": contact.pk,
        "bot": contact.bot_id,
        "channel": contact.channel,
        "status": contact.status,
        "name": contact.display_name,
        "username": "" if erased else contact.username,
        "phone": "" if erased else contact.phone,
        "email": "" if erased else contact.email,
        "language": contact.language_code,
        "source": contact.source,
        "created_at": contact.created_at,
        "last_message_at": contact.last_message_at,
        "qualified_at": contact.qualified_at,
        "erased_at": contact.erased_at,
    }


def _visible_lead(request, lead_id: int) -> Contact:
    return get_object_or_404(Contact.objects.filter(request.auth.visible()), pk=lead_id)


@router.get(
    "/leads",
    response={200: LeadPage, **ERRORS, 422: Error},
    **token(Scope.LEADS_READ),
    summary="List leads, newest first",
)
def list_leads(
    request,
    status: Contact.Status | None = None,
    bot: int | None = Query(None, ge=1, le=MAX_ID),
    channel: Contact.Channel | None = None,
    created_after: IsoDateTime | None = None,
    created_before: IsoDateTime | None = None,
    search: str | None = Query(None, max_length=100, description="In name, phone, e-mail."),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """Filters combine; `search` looks in the name, username, e-mail and, by its digits, the
    phone. Scope `leads:read`."""
    leads = Contact.objects.filter(request.auth.visible())
    if status:
        leads = leads.filter(status=status)
    if bot is not None:
        leads = leads.filter(bot_id=bot)
    if channel:
        leads = leads.filter(channel=channel)
    if created_after:
        leads = leads.filter(created_at__gte=created_after)
    if created_before:
        leads = leads.filter(created_at__lt=created_before)
    if search and search.strip():
        leads = leads.filter(_search(search.strip()))
    page = paginate(leads, cursor=cursor, limit=limit, newest_first=True)
    return {"items": [_lead_out(lead) for lead in page.items], "next_cursor": page.next_cursor}


def _search(term: str) -> Q:
    found = (
        Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(username__icontains=term)
        | Q(email__icontains=term)
    )
    if digits := "".join(char for char in term if char.isdigit()):
        found |= Q(phone__contains=digits)
    return found & Q(erased_at__isnull=True)


@router.get(
    "/leads/{lead_id}",
    response={200: LeadDetail, **ONE},
    **token(Scope.LEADS_READ),
    summary="A lead with its card",
)
def get_lead(request, lead_id: int = PathId):
    """The lead card as the admin shows it (every field of its scenario, known or not) and the
    services the person asked about. Scope `leads:read`."""
    contact = _visible_lead(request, lead_id)
    language = translation.get_language()
    card = [
        {
            "key": entry.key,
            "label": entry.label,
            "required": entry.required,
            "value": entry.display if entry.is_known else None,
            "changed_at": entry.created_at,
        }
        for entry in lead_card(contact_id=contact.pk, language=language)
    ]
    interests = contact_interests(contact_id=contact.pk, language=language)
    return {**_lead_out(contact), "card": card, "interests": interests}


@router.patch(
    "/leads/{lead_id}",
    response={200: LeadOut, **ONE},
    **token(Scope.LEADS_WRITE),
    summary="Change a lead's status",
)
def update_lead(request, change: StatusIn, lead_id: int = PathId):
    """Saved as the admin saves a lead, so CRM integrations get their "status changed" event.
    Scope `leads:write`."""
    contact = _visible_lead(request, lead_id)
    contact_set_status(contact_id=contact.pk, status=change.status)
    contact.refresh_from_db()
    return _lead_out(contact)


@router.get(
    "/leads/{lead_id}/conversations",
    response={200: ConversationPage, **ONE},
    **token(Scope.LEADS_READ),
    summary="A lead's conversations, newest first",
)
def list_conversations(
    request, lead_id: int = PathId, cursor: str | None = Cursor, limit: int = Limit
):
    """Scope `leads:read`."""
    contact = _visible_lead(request, lead_id)
    conversations = Conversation.objects.filter(contact=contact)
    page = paginate(
        conversations, cursor=cursor, limit=limit, newest_first=True, time_field="started_at"
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/leads/{lead_id}/messages",
    response={200: MessagePage, **ONE},
    **token(Scope.LEADS_READ),
    summary="A lead's messages, oldest first",
)
def list_messages(request, lead_id: int = PathId, cursor: str | None = Cursor, limit: int = Limit):
    """Every message of either side, with the delivery of what was sent; the last page's
    `next_cursor` brings what is new later. Scope `leads:read`."""
    contact = _visible_lead(request, lead_id)
    messages = Message.objects.filter(contact=contact)
    page = paginate(messages, cursor=cursor, limit=limit, newest_first=False)
    return {
        "items": [
            {
                "id": message.pk,
                "conversation": message.conversation_id,
                "role": message.role,
                "content_type": message.content_type,
                "text": message.text,
                "redacted": message.redacted,
                "author_name": message.author_name,
                "created_at": message.created_at,
                "delivery": message.delivery,
                "delivery_error": message.delivery_error,
            }
            for message in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/leads/{lead_id}/messages",
    response={202: MessageQueued, **ONE, 409: Error},
    **token(Scope.MESSAGES_SEND),
    summary="Send a message to the person as an operator",
)
def send_message(request, message: MessageIn, lead_id: int = PathId):
    """Stored at once and delivered by a bot process through the lead's channel, as a reply
    from the admin's operator desk is: the conversation is taken over (the assistant falls
    silent until an operator releases it), and the message is signed with the name of the
    staff user who issued the token. Its `delivery` on the messages list tells what became of
    it. Scope `messages:send`."""
    contact = _visible_lead(request, lead_id)
    if contact.erased_at is not None:
        raise HttpError(409, _("This person's data was deleted: they cannot be written to."))
    if contact.bot_id is None:
        raise HttpError(409, _("This lead has no bot to deliver a message through."))
    message_id = desk_reply(
        contact_id=contact.pk,
        user_id=request.auth.user_id,
        author_name=request.auth.author_name,
        text=message.text.strip(),
    )
    follow = reverse("api-v1:list_messages", kwargs={"lead_id": contact.pk})
    return Status(
        202, {"message_id": message_id, "delivery": Message.Delivery.PENDING, "follow": follow}
    )
