"""/model: the person picks which of the usable models answers them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assistant import services as assistant_services
from assistant.channel import Button
from assistant.gateway import ModelSpec
from assistant.selectors import model_spec_for, usable_model_spec, usable_model_specs
from assistant.usecases.buttons import CHOSEN_MARK, MODEL, action, number
from assistant.usecases.exchange import Exchange
from conversations.services import ContactInfo
from core.db import db_call


async def show_models(exchange: Exchange, _argument: str = "") -> None:
    models = await db_call(usable_model_specs)()
    if not models:
        await exchange.say(_("No models are available right now."))
        return
    current, _replaced = await db_call(model_spec_for)(
        contact_id=exchange.contact.id, bot_id=exchange.contact.bot_id
    )
    current_pk = current.pk if current else None
    buttons = [[Button(_marked(model, current_pk), action(MODEL, model.pk))] for model in models]
    await exchange.say(_("Choose the model that will answer you:"), buttons=buttons)


def _marked(model: ModelSpec, current_pk: int | None) -> str:
    return (CHOSEN_MARK if model.pk == current_pk else "") + model.display_name


def _choose(contact: ContactInfo, model_pk: int) -> tuple[ModelSpec | None, bool]:
    """Store the choice; an unknown, inactive or keyless model falls back to the default."""
    spec, replaced = usable_model_spec(model_id=model_pk, bot_id=contact.bot_id)
    assistant_services.contact_set_model(
        contact_id=contact.id, model_id=None if replaced else model_pk
    )
    return spec, replaced


async def choose_model(exchange: Exchange, value: str) -> None:
    spec, replaced = await db_call(_choose)(exchange.contact, number(value))
    if spec is None:
        text = _("No models are available right now.")
    elif replaced:
        text = _("That model is not available; you will get answers from %(model)s.") % {
            "model": spec.display_name
        }
    else:
        text = _("Done: %(model)s will answer you now.") % {"model": spec.display_name}
    await exchange.say(text)
