"""Admin lists and forms of rows that belong to a bot, or to none, seen per bot.

Staff who are not superusers work with the bots they are assigned to (`Bot.staff`): they see
those bots' rows and the rows of no bot (shared prompts and scenarios, the terminal chat's
leads), and may give a row only one of their bots. The rule itself is
`bots.selectors.visible_to`; the apps above apply it to their admins with `PerBotAdmin` and
offer the bots in a list filter with `BotListFilter`.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from bots.selectors import visible_bots, visible_to


class PerBotAdmin:
    """A ModelAdmin mixin: the rows of the viewer's bots and of none, in lists, pages, exports.

    An object outside them is missing for the viewer, as Django's admin treats any object
    outside `get_queryset`. A form's bot (a field named `bot`) offers only the viewer's bots,
    so saving a row for another bot fails validation.
    """

    #: The path from a row to its bot, e.g. "contact__bot" for a lead's message.
    bot_path = "bot"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visible_to(request.user, self.bot_path))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bot":
            kwargs["queryset"] = visible_bots(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BotListFilter(admin.RelatedFieldListFilter):
    """Filter by bot, among the bots the viewer works with, and by rows of no bot.

    What a row of no bot is depends on the model (a shared prompt, the terminal chat's lead):
    `saying` makes the filter with that label.
    """

    #: The filter's label for rows of no bot.
    without_bot = _("no bot")

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("bot")
        self.empty_value_display = self.without_bot

    def field_choices(self, field, request, model_admin):
        return [(bot.pk, str(bot)) for bot in visible_bots(request.user)]

    @classmethod
    def saying(cls, without_bot) -> type["BotListFilter"]:
        return type(cls.__name__, (cls,), {"without_bot": without_bot})


class SharedOrOwnAdmin(PerBotAdmin):
    """Rows shared by every bot (no bot) or a bot's own in their place: prompts, scenarios."""

    @admin.display(description=_("bot"))
    def for_bot(self, row):
        return row.bot.name if row.bot else _("shared")


#: The bot filter of rows shared by every bot or a bot's own.
SharedOrOwnFilter = BotListFilter.saying(_("shared"))
