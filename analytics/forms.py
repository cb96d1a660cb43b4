"""The analytics page's filters: period, granularity, bot and source, among what the viewer may
see (staff who are not superusers: the bots they work with, and leads of no bot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import NO_BOT
from analytics.selectors import DAY, GRANULARITIES, Bots, known_sources, source_label
from bots.selectors import visible_bot_ids, visible_bots

DEFAULT_DAYS = 30
#: The filter's value for leads without a deep-link source; no real payload looks like it,
#: since Telegram deep-link payloads allow only letters, digits, "_" and "-".
DIRECT = "(direct)"


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    granularity: str
    #: None for every source, "" for leads who came without a deep link.
    source: str | None
    #: The bots whose leads are counted (None: every bot's).
    bots: Bots
    #: The bot chosen, as the page names it ("All bots" when none is).
    bot_label: str

    def as_kwargs(self) -> dict:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "granularity": self.granularity,
            "source": self.source,
            "bots": self.bots,
        }


class AnalyticsFilterForm(forms.Form):
    # The admin's date widget: text in the admin language's format (01.03.2025 in Russian)
    # with its calendar. A browser draws <input type="date"> in its own locale, mm/dd/yyyy on
    # an English browser, whatever the page's language.
    date_from = forms.DateField(label=_("From"), required=False, widget=AdminDateWidget)
    date_to = forms.DateField(label=_("To"), required=False, widget=AdminDateWidget)
    granularity = forms.ChoiceField(
        label=_("Group by"), choices=GRANULARITIES, required=False, initial=DAY
    )
    bot = forms.TypedChoiceField(label=_("Bot"), required=False, coerce=int, empty_value=None)
    # Free text shown as a list: a source that has no leads yet simply reports zeros.
    source = forms.CharField(label=_("Source"), required=False, widget=forms.Select)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # An unbound form shows the period it reports on.
        today = timezone.localdate()
        self.fields["date_from"].initial = today - timedelta(days=DEFAULT_DAYS - 1)
        self.fields["date_to"].initial = today
        visible = visible_bot_ids(user)
        # Whose leads "all bots" means for this viewer.
        self.visible_bots = None if visible is None else visible | {NO_BOT}
        self.fields["bot"].choices = [
            ("", _("All bots")),
            *((bot.pk, bot.name) for bot in visible_bots(user)),
            (NO_BOT, _("none (terminal chat)")),
        ]
        sources = known_sources(bots=self.visible_bots)
        sources = [(value or DIRECT, source_label(value)) for value in sources]
        self.fields["source"].widget.choices = [("", _("All sources")), *sources]

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error(None, _("The start date is after the end date."))
            del cleaned["date_from"], cleaned["date_to"]
        return cleaned

    def filters(self) -> Filters:
        """The chosen filters; a missing or invalid one falls back to its default.

        By default the period is the last 30 days, today included.
        """
        data = {}
        if self.is_bound:
            self.full_clean()
            data = self.cleaned_data  # only the fields that passed validation
        chosen_from, chosen_to = data.get("date_from"), data.get("date_to")
        today = timezone.localdate()
        date_to = chosen_to or max(today, chosen_from or today)
        date_from = chosen_from or date_to - timedelta(days=DEFAULT_DAYS - 1)
        source = data.get("source") or None
        bot = data.get("bot")
        return Filters(
            date_from=date_from,
            date_to=date_to,
            granularity=data.get("granularity") or DAY,
            source="" if source == DIRECT else source,
            bots=self.visible_bots if bot is None else frozenset({bot}),
            bot_label=str(dict(self.fields["bot"].choices)[bot if bot is not None else ""]),
        )
