"""What a token may do: reads of leads and conversations, and each kind of write."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    LEADS_READ = "leads:read", _("Read leads, their cards and conversations")
    LEADS_WRITE = "leads:write", _("Change a lead's status")
    MESSAGES_SEND = "messages:send", _("Send messages to leads as an operator")
    CATALOG_WRITE = "catalog:write", _("Create, change and delete services")
    PROMPTS_WRITE = "prompts:write", _("Change prompts")
    ANALYTICS_READ = "analytics:read", _("Read the analytics summary")
