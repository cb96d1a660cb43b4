"""`manage.py rotate_bot_tokens`: every stored token encrypted anew under the first key of
`BOT_TOKEN_KEYS`, so an old key can then be removed."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bots.services import bots_reencrypt_tokens
from bots.tokens import TokenUnavailable


class Command(BaseCommand):
    help = gettext_lazy(
        "Encrypt the bots' stored tokens with the first key of BOT_TOKEN_KEYS (after adding a "
        "new key in front); then the old key may be removed."
    )

    def handle(self, *args, **options):
        try:
            count = bots_reencrypt_tokens()
        except TokenUnavailable as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(_("Tokens encrypted with the first key: %(count)s.") % {"count": count})
