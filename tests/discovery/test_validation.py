"""Typed checks of values the model extracted for the lead card."""

import datetime as dt

import pytest

from discovery.validation import CatalogChoice, InvalidValue, check_value

TODAY = dt.date(2026, 11, 26)
SERVICES = [CatalogChoice(1, "Первичная консультация"), CatalogChoice(2, "Сопровождение")]


def check(field_type, raw, **context):
    return check_value(field_type, raw, today=TODAY, services=SERVICES, **context)


@pytest.mark.parametrize(
    ("raw", "amount", "currency", "display"),
    [
        ("50000", "50000.00", "RUB", "50 000 RUB"),
        ("50 тыс руб", "50000.00", "RUB", "50 000 RUB"),
        ("50k $", "50000.00", "USD", "50 000 USD"),
        ("1 500,50 €", "1500.50", "EUR", "1 500.50 EUR"),
        ("2 млн рублей", "2000000.00", "RUB", "2 000 000 RUB"),
        ("300 EUR", "300.00", "EUR", "300 EUR"),
        ("10000 kzt", "10000.00", "KZT", "10 000 KZT"),
    ],
)
def test_money_is_read_with_multipliers_and_currencies(raw, amount, currency, display):
    checked = check("money", raw)
    assert checked.value == {"amount": amount, "currency": currency}
    assert checked.display == display


@pytest.mark.parametrize("raw", ["много", "-5000", "", "   "])
def test_money_without_a_positive_number_is_refused(raw):
    with pytest.raises(InvalidValue):
        check("money", raw)


def test_numbers_are_normalized():
    assert check("number", "3,5").value == "3.5"
    assert check("number", "12 000").display == "12 000"


def test_a_future_iso_date_is_accepted_and_shown_the_russian_way():
    checked = check("date", "2026-12-01")
    assert (checked.value, checked.display) == ("2026-12-01", "01.12.2026")


@pytest.mark.parametrize("raw", ["2026-11-25", "завтра", "2040-01-01"])
def test_past_far_or_unresolved_dates_are_refused(raw):
    with pytest.raises(InvalidValue):
        check("date", raw)


def test_a_choice_matches_one_option_ignoring_case_and_extra_words():
    options = ["Утро", "Вечер"]
    assert check("choice", "утро", choices=options).value == "Утро"
    assert check("choice", "лучше вечер", choices=options).value == "Вечер"
    with pytest.raises(InvalidValue):
        check("choice", "ночь", choices=options)


def test_an_ambiguous_choice_is_refused():
    with pytest.raises(InvalidValue):
        check("choice", "ден", choices=["День", "Полдень"])


def test_a_service_is_matched_to_the_catalog():
    checked = check("service", "консультация")
    assert checked.value == {"id": 1, "title": "Первичная консультация"}
    with pytest.raises(InvalidValue):
        check("service", "Ремонт")


ENGLISH_SERVICES = [
    CatalogChoice(1, "Initial consultation", ("Первичная консультация",)),
    CatalogChoice(2, "Full support", ("Комплексное сопровождение",)),
]


@pytest.mark.parametrize("named_as", ["initial consultation", "Первичная консультация", "консульт"])
def test_a_service_named_in_any_language_is_stored_in_the_persons(named_as):
    checked = check_value("service", named_as, today=TODAY, services=ENGLISH_SERVICES)

    assert checked.value == {"id": 1, "title": "Initial consultation"}
    assert checked.display == "Initial consultation"


def test_a_service_matching_one_title_in_two_languages_is_not_ambiguous():
    services = [CatalogChoice(1, "Audit", ("Аудит", "Audit")), CatalogChoice(2, "Support")]

    assert check_value("service", "audit", today=TODAY, services=services).value["id"] == 1


def test_a_name_close_to_two_services_is_refused():
    with pytest.raises(InvalidValue):
        check_value(
            "service",
            "support",
            today=TODAY,
            services=[CatalogChoice(1, "Full support"), CatalogChoice(2, "Basic support")],
        )


def test_phones_and_emails_are_normalized_or_refused():
    assert check("phone", "8 912 345-67-89").value == "+79123456789"
    assert check("email", "Anna@Example.COM").value == "anna@example.com"
    with pytest.raises(InvalidValue):
        check("phone", "12")
    with pytest.raises(InvalidValue):
        check("email", "anna@")


def test_text_is_trimmed_and_limited():
    assert check("text", "  Анна  ").value == "Анна"
    with pytest.raises(InvalidValue):
        check("text", "x" * 501)


@pytest.mark.parametrize("raw", [None, True, {"a": 1}, ["a"]])
def test_structures_are_not_single_values(raw):
    with pytest.raises(InvalidValue):
        check("text", raw)


def test_an_unknown_field_type_is_refused():
    with pytest.raises(InvalidValue):
        check("colour", "red")
