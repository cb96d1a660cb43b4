"""Export cells that a spreadsheet opens as data, never as a formula (CSV injection).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, some also after
a tab, a carriage return or leading spaces, and a Telegram name or a deep-link source is
enough to plant one. Following OWASP's CSV-injection advice, every export (CSV and XLSX
alike) prefixes such text with a single quote. A plain signed number runs nothing, so it is
left alone: a phone in E.164 (`+79991234567`) reads as it always did, and a number that is
not text at all (a negative amount in a numeric column) keeps its type.

The helpers below are the rest of what every export shares: a CSV that Excel opens as UTF-8,
XLSX times as date cells to the second, and an export form in the admin's language.
"""

import csv
import re
from datetime import datetime

from django.utils.translation import gettext_noop
from import_export import widgets
from import_export.forms import SelectableFieldsExportForm

#: Excel reads a CSV as UTF-8 only after a byte order mark; without one a Russian Windows takes
#: it for cp1251 and every Cyrillic letter comes out garbled.
UTF8_BOM = "\ufeff"

#: A text cell starting with one of these, also after leading whitespace, is run as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def defuse_formula(value):
    """`value` as safe cell content: text a spreadsheet would run gets a leading quote."""
    if isinstance(value, str) and _runs_as_formula(value):
        return "'" + value
    return value


def _runs_as_formula(text: str) -> bool:
    first = text[:1]
    # Most cells start with a letter or a digit: one look at the first character decides.
    if first not in FORMULA_TRIGGERS and not first.isspace():
        return False
    starts_formula = first in FORMULA_TRIGGERS or text.lstrip().startswith(FORMULA_TRIGGERS)
    return starts_formula and not _PLAIN_NUMBER.fullmatch(text.strip())


class FormulaSafeExportMixin:
    """For an import-export `Resource`: every exported text cell passes `defuse_formula`.

    Defusing the rows (rather than the file) keeps numbers and dates typed in XLSX, and every
    text cell a string cell: openpyxl makes a formula only of text starting with "=".
    import-export's own escaping (IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT) stays off: it
    strips a single "=" and turns every cell, numbers too, into text.
    """

    def export_resource(self, instance, selected_fields=None, **kwargs):
        row = super().export_resource(instance, selected_fields, **kwargs)
        return [defuse_formula(cell) for cell in row]


def spreadsheet_csv_writer(out):
    """A `csv.writer` over the text stream `out`, which gets the byte order mark first."""
    out.write(UTF8_BOM)
    return csv.writer(out)


class SpreadsheetDateTimeWidget(widgets.DateTimeWidget):
    """A time to the second, in the project's zone: a date cell in XLSX, text in CSV.

    import-export hands XLSX the microseconds too, which no one reads and which make two
    cells of the same second compare unequal in a spreadsheet.
    """

    def render(self, value, obj=None, **kwargs):
        if isinstance(value, datetime):
            value = value.replace(microsecond=0)
        return super().render(value, obj, **kwargs)


#: import-export's Russian catalogue leaves its export form's "Select all" untranslated. A msgid
#: named here lands in the project's catalogue, which Django reads first (LOCALE_PATHS).
LIBRARY_MSGIDS = (gettext_noop("Select all"),)


class HeaderLabelledExportForm(SelectableFieldsExportForm):
    """The export form, each column's checkbox labelled with the column's header alone.

    import-export labels it with the attribute name in title-cased English and the header in
    brackets ("Id (ID)", "Phone (Телефон)"): two languages on one page. Headers are
    translated, and columns a resource adds per instance (from data) have no class-level
    field to name them.
    """

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        for resource_class in resources:
            resource = resource_class()
            for name in resource.get_export_order():
                field_name = self.create_boolean_field_name(resource_class, name)
                self.fields[field_name].label = resource.fields[name].column_name
