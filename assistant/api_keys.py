"""Which environment variables may hold a provider's API key.

A provider's key is sent as a Bearer token to the provider's base URL. If staff could name
any variable, `SECRET_KEY` and a URL of their own would carry the project's secret away. So
only variables declared for keys are read: names ending in `_API_KEY` and those listed in
`LLM_API_KEY_VARIABLES`, and never a variable the project's settings read for themselves
(`SECRET_KEY`, `TELEGRAM_BOT_TOKEN`, `DATABASE_URL`, `LOG_CLOUD_TOKEN`, `SENTRY_DSN`, ...).
The model field, `load_models` and the gateway all ask here.
"""

import logging
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

KEY_SUFFIX = "_API_KEY"


def _is_project_setting(name: str) -> bool:
    return name in settings.ENV_VARIABLES_READ


def is_api_key_variable(name: str) -> bool:
    """Whether the variable `name` may be read and sent to a provider as its key."""
    if _is_project_setting(name):
        return False
    return name.endswith(KEY_SUFFIX) or name in settings.LLM_API_KEY_VARIABLES


def validate_api_key_variable(name: str) -> None:
    """The field validator of `LLMProvider.api_key_env`: say why a name is refused."""
    if not name or is_api_key_variable(name):
        return
    if _is_project_setting(name):
        message = _(
            "%(name)s is one of this project's own settings; it is never sent to a provider."
        )
    else:
        message = _(
            "%(name)s is not declared for API keys: use a variable whose name ends in _API_KEY "
            "or list it in LLM_API_KEY_VARIABLES."
        )
    raise ValidationError(message, code="api_key_variable", params={"name": name})


def api_key_from_environment(name: str) -> str:
    """The value of the key variable `name`, or "" when it is unset or not allowed.

    A refused name can only come from a row saved before the rule (or past the admin), so
    it is logged by name for staff to fix; its value is never read.
    """
    if not name:
        return ""
    if not is_api_key_variable(name):
        logger.warning("LLM provider key variable %s is not allowed; no key is sent", name)
        return ""
    return os.environ.get(name, "")
