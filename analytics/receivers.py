"""The rollup follows every save and delete of the rows it counts (connected in `apps.py`).

Model signals rather than calls from the services, for two reasons. `conversations` and
`discovery` sit below `analytics` and must not import it. And staff change leads in the admin
(the status — "won" is only ever set there —, phones, the source) and delete leads,
conversations and messages there: those go through the models' `save()` and `delete()`, never
through the services. So the services write the rows the rollup reads with `save()` and
`create()`, in one transaction per change, and the rollup moves in that transaction.

Leads that became a bot's own in one UPDATE (`contacts_adopt`, once, when the bot of
TELEGRAM_BOT_TOKEN is registered after they came) send a signal of their own, and are
recounted with everything else: it happens once per installation.

A delete removes its children too (a lead's conversations, messages and runs; a
conversation's messages); the receiver of the deleted object takes all of them away at once,
so its children's receivers leave them alone (`origin` says what was deleted).
"""

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from analytics import rollup
from analytics.stages import is_question
from conversations.models import Contact, Conversation, Message
from conversations.signals import contacts_adopted
from discovery.models import ExtractionRun

#: The fields of a lead that decide its funnel cell.
_LEAD_FIELDS = frozenset(
    {"created_at", "bot", "source", "phone", "email", "status", "qualified_at"}
)


def _deleted_with(origin, *owners) -> bool:
    """Whether the delete started at one of `owners` (an object or a query of them)."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model in owners


@receiver(post_save, sender=Contact, dispatch_uid="analytics_lead_saved")
def lead_saved(sender, instance, created, update_fields, **kwargs):
    if created or update_fields is None or _LEAD_FIELDS & set(update_fields):
        rollup.lead_refresh(contact_id=instance.pk)


@receiver(contacts_adopted, sender=Contact, dispatch_uid="analytics_leads_adopted")
def leads_adopted(sender, bot_id, **kwargs):
    rollup.rollup_rebuild()


@receiver(pre_delete, sender=Contact, dispatch_uid="analytics_lead_deleted")
def lead_deleted(sender, instance, **kwargs):
    rollup.lead_forget(contact_id=instance.pk)


@receiver(post_save, sender=Conversation, dispatch_uid="analytics_conversation_saved")
def conversation_saved(sender, instance, created, update_fields, **kwargs):
    # Closing a conversation or noting its last message changes nothing counted.
    if created or update_fields is None:
        rollup.conversation_refresh(conversation_id=instance.pk)


@receiver(pre_delete, sender=Conversation, dispatch_uid="analytics_conversation_deleting")
def conversation_deleting(sender, instance, origin, **kwargs):
    if not _deleted_with(origin, Contact):
        rollup.conversation_forget(conversation=instance)


@receiver(post_delete, sender=Conversation, dispatch_uid="analytics_conversation_deleted")
def conversation_deleted(sender, instance, origin, **kwargs):
    if not _deleted_with(origin, Contact):
        rollup.lead_refresh(contact_id=instance.contact_id)  # its only question may be gone


@receiver(post_save, sender=Message, dispatch_uid="analytics_message_saved")
def message_saved(sender, instance, created, **kwargs):
    if created:
        rollup.message_stored(message=instance)


@receiver(pre_delete, sender=Message, dispatch_uid="analytics_message_deleting")
def message_deleting(sender, instance, origin, **kwargs):
    if not _deleted_with(origin, Contact, Conversation):
        rollup.message_forget(message=instance)


@receiver(post_delete, sender=Message, dispatch_uid="analytics_message_deleted")
def message_deleted(sender, instance, origin, **kwargs):
    if not _deleted_with(origin, Contact, Conversation):
        rollup.conversation_refresh(conversation_id=instance.conversation_id)
        if is_question(role=instance.role, content_type=instance.content_type):
            rollup.lead_refresh(contact_id=instance.contact_id)


@receiver(post_save, sender=ExtractionRun, dispatch_uid="analytics_run_saved")
def run_saved(sender, instance, created, **kwargs):
    if created:
        rollup.run_stored(run=instance)


@receiver(pre_delete, sender=ExtractionRun, dispatch_uid="analytics_run_deleting")
def run_deleting(sender, instance, origin, **kwargs):
    if not _deleted_with(origin, Contact):
        rollup.run_forget(run=instance)
