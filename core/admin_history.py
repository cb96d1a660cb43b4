"""django-simple-history's pages as staff can read them.

The library's list shows field names in capitals (IS_ACTIVE), raw values (True, None), a
version saved without a staff user as "None", an empty foreign key as "Deleted пользователь
(pk=None)", and cuts a long text's change to "[838 chars]... -> [883 chars]...", so the change
cannot be seen. `ReadableHistoryAdmin` lists the same versions with verbose names, the admin's
icons and "—", and a long text's change as a line diff; its revert page says which version it
shows and when it was saved.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.contrib.admin.utils import display_for_field
from django.db import models
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.manager import SIMPLE_HISTORY_REVERSE_ATTR_NAME

EMPTY = "—"
#: Text longer than this, or with a line break, changes as a line diff rather than "old → new".
SHORT_TEXT = 80
#: Unchanged lines shown around each changed part of a text.
CONTEXT_LINES = 1


@dataclass(frozen=True)
class DiffLine:
    """A line of a text's diff: "removed", "added", "same", or "skipped" (unchanged lines)."""

    kind: str
    text: str = ""


@dataclass(frozen=True)
class FieldChange:
    """One field's change between two versions: a line diff for text, else old and new."""

    label: str
    old: str = ""
    new: str = ""
    lines: tuple[DiffLine, ...] = ()


def line_diff(old: str, new: str) -> tuple[DiffLine, ...]:
    """The changed lines of a text with a line of context; "skipped" stands for the rest."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    lines: list[DiffLine] = []
    shown_up_to = 0
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if group[0][1] > shown_up_to:
            lines.append(DiffLine("skipped"))
        for tag, old_start, old_end, new_start, new_end in group:
            if tag == "equal":
                lines.extend(DiffLine("same", line) for line in old_lines[old_start:old_end])
                continue
            lines.extend(DiffLine("removed", line) for line in old_lines[old_start:old_end])
            lines.extend(DiffLine("added", line) for line in new_lines[new_start:new_end])
        shown_up_to = group[-1][2]
    if shown_up_to < len(old_lines):
        lines.append(DiffLine("skipped"))
    return tuple(lines)


def _is_long_text(*values) -> bool:
    return any(
        isinstance(value, str) and (len(value) > SHORT_TEXT or "\n" in value) for value in values
    )


class ReadableHistoryAdmin(SimpleHistoryAdmin):
    """A model's history list and revert page in the admin's language and formats.

    `history_list_display` names model fields.
    """

    object_history_list_template = "admin/history/object_history_list.html"
    object_history_form_template = "admin/history/object_history_form.html"

    def history_view(self, request, object_id, extra_context=None):
        columns = [self._column_label(name) for name in self.get_history_list_display(request)]
        context = {"history_columns": columns, **(extra_context or {})}
        return super().history_view(request, object_id, context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Each version on the page gets its cells and its changes since the version before.

        The page lists versions newest first; the oldest one on it is compared with the
        version before it, which is on the next page.
        """
        records = list(historical_records)
        previous = [*records[1:], records[-1].prev_record] if records else []
        names = self.get_history_list_display(request)
        for record, before in zip(records, previous, strict=True):
            record.readable_cells = [self._cell(record, name) for name in names]
            record.readable_changes = self._changes(before, record) if before else []

    def render_history_view(self, request, template, context, **kwargs):
        version = getattr(context.get("original"), SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
        if version is not None:
            self._show_version(context, version)
        return super().render_history_view(request, template, context, **kwargs)

    def _show_version(self, context, version):
        """The revert page shows the version's own save time, not the current object's.

        A field left out of the history because it changes on every save (`auto_now`) is
        filled from the current object by the library.
        """
        fields = map(self.model._meta.get_field, version._history_excluded_fields)
        for field in (field for field in fields if getattr(field, "auto_now", False)):
            setattr(context["original"], field.attname, version.history_date)
        context["version"] = version

    def _column_label(self, name: str) -> str:
        return capfirst(self.model._meta.get_field(name).verbose_name)

    def _cell(self, record, name: str):
        field = self.model._meta.get_field(name)
        return self._display(field, getattr(record, field.attname))

    def _changes(self, before, record) -> list[FieldChange]:
        delta = record.diff_against(before, foreign_keys_are_objs=False)
        changes = []
        for change in delta.changes:
            field = self.model._meta.get_field(change.field)
            label = capfirst(field.verbose_name)
            if _is_long_text(change.old, change.new):
                changes.append(
                    FieldChange(label, lines=line_diff(change.old or "", change.new or ""))
                )
            else:
                old, new = self._display(field, change.old), self._display(field, change.new)
                changes.append(FieldChange(label, old=old, new=new))
        return changes

    @staticmethod
    def _display(field, value):
        """A stored value as the admin shows it; a foreign key by the object it points to."""
        if isinstance(field, models.ForeignKey) and value is not None:
            related = field.related_model._default_manager.filter(pk=value).first()
            return str(related if related is not None else value)
        return display_for_field(value, field, EMPTY)
