"""The staff's prompts: read with any token, changed with `prompts:write`, with history."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from pydantic import Field, StrictBool, model_validator

from api.auth import token
from api.schemas import ERRORS, ONE, Body, PathId
from api.scopes import Scope
from conversations.models import Prompt
from conversations.services import prompt_update

router = Router(tags=["prompts"])

#: The reason a change through the API carries in the prompt's history.
REASON = "API: %s"


class PromptOut(Schema):
    id: int
    key: Prompt.Key
    language: str
    bot: int | None = Field(description="The bot it is for; null: shared by every bot.")
    text: str
    is_active: bool
    updated_at: datetime


class PromptVersion(Schema):
    history_id: int
    text: str
    is_active: bool
    changed_at: datetime
    changed_by: str | None
    reason: str | None


class PromptDetail(PromptOut):
    history: list[PromptVersion] = Field(description="Every version, newest first.")


class PromptChange(Body):
    text: str | None = Field(None, min_length=1, pattern=r"\S")
    is_active: StrictBool | None = None

    @model_validator(mode="after")
    def something_changes(self):
        if self.text is None and self.is_active is None:
            raise ValueError("Give `text`, `is_active` or both.")
        return self


def _prompt_out(prompt: Prompt) -> dict:
    return {
        "id": prompt.pk,
        "key": prompt.key,
        "language": prompt.language,
        "bot": prompt.bot_id,
        "text": prompt.text,
        "is_active": prompt.is_active,
        "updated_at": prompt.updated_at,
    }


def _visible_prompt(request, prompt_id: int) -> Prompt:
    return get_object_or_404(Prompt.objects.filter(request.auth.visible()), pk=prompt_id)


@router.get("/prompts", response={200: list[PromptOut], **ERRORS}, **token())
def list_prompts(request):
    """The shared prompts and those of the token's bots. Any valid token."""
    return [_prompt_out(p) for p in Prompt.objects.filter(request.auth.visible())]


@router.get("/prompts/{prompt_id}", response={200: PromptDetail, **ONE}, **token())
def get_prompt(request, prompt_id: int = PathId):
    """With every earlier version. Any valid token."""
    prompt = _visible_prompt(request, prompt_id)
    versions = prompt.history.select_related("history_user").order_by("-history_id")
    history = [
        {
            "history_id": version.history_id,
            "text": version.text,
            "is_active": version.is_active,
            "changed_at": version.history_date,
            "changed_by": version.history_user.get_username() if version.history_user else None,
            "reason": version.history_change_reason,
        }
        for version in versions
    ]
    return {**_prompt_out(prompt), "history": history}


@router.patch(
    "/prompts/{prompt_id}", response={200: PromptOut, **ONE}, **token(Scope.PROMPTS_WRITE)
)
def update_prompt(request, change: PromptChange, prompt_id: int = PathId):
    """Applies to the bots' next message. The history records the token's issuer and the
    reason "API: <token name>". Scope `prompts:write`."""
    prompt = _visible_prompt(request, prompt_id)
    prompt_update(
        prompt_id=prompt.pk,
        user_id=request.auth.user_id,
        reason=REASON % request.auth.name,
        text=change.text,
        active=change.is_active,
    )
    prompt.refresh_from_db()
    return _prompt_out(prompt)
