"""Phones and e-mails as people type them: found in free text, normalized or rejected."""

import pytest

from conversations.contact_details import (
    find_email,
    find_phone,
    looks_like_phone_attempt,
    normalize_email,
    normalize_phone,
)


@pytest.mark.parametrize(
    "typed",
    [
        "+7 912 345-67-89",
        "+7 (912) 345 67 89",
        "89123456789",
        "8 912 345 67 89",
        "79123456789",
        "  +79123456789  ",
    ],
)
def test_a_russian_mobile_is_normalized_to_e164(typed):
    assert normalize_phone(typed) == "+79123456789"


def test_digits_of_a_foreign_number_without_a_plus_are_read_as_international():
    assert normalize_phone("4915112345678") == "+4915112345678"


def test_a_foreign_number_with_a_plus_is_kept_in_its_own_country():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


def test_ten_digits_are_read_as_a_number_in_the_default_region():
    assert normalize_phone("9123456789") == "+79123456789"


def test_a_number_is_read_in_the_given_region():
    assert normalize_phone("020 7946 0958", region="GB") == "+442079460958"


@pytest.mark.parametrize("typed", ["", "   ", None, "call me", "abc+def", "+"])
def test_text_that_is_not_a_number_is_rejected(typed):
    assert normalize_phone(typed) is None


def test_text_longer_than_any_phone_is_rejected_without_parsing():
    assert normalize_phone("+7 912 345 67 89" + " " * 30 + "0") is None


@pytest.mark.parametrize("typed", ["12345", "+7 000 000-00-00", "+1 555 0100", "8912345"])
def test_a_number_that_cannot_exist_is_rejected(typed):
    assert normalize_phone(typed) is None


def test_a_phone_is_found_in_a_sentence():
    assert find_phone("Call me at +7 912 345-67-89 after six") == "+79123456789"


def test_the_first_of_two_phones_is_found():
    assert find_phone("8 912 345 67 89 or +7 999 888 77 66") == "+79123456789"


@pytest.mark.parametrize("text", ["", None, "no number here", "my code is 12345"])
def test_text_without_a_valid_phone_has_none(text):
    assert find_phone(text) is None


@pytest.mark.parametrize(
    "text", ["+7 912 345", "my number is 8-912-000", "(912) 12-34", "+7 123", "+44 20"]
)
def test_a_run_of_digits_looks_like_a_phone_attempt(text):
    assert looks_like_phone_attempt(text) is True


@pytest.mark.parametrize("text", ["", None, "I need 2 consultations", "price 5000", "a1b2c3d4"])
def test_ordinary_text_does_not_look_like_a_phone_attempt(text):
    assert looks_like_phone_attempt(text) is False


def test_an_email_is_trimmed_and_lower_cased():
    assert normalize_email("  Anna.K@Example.COM ") == "anna.k@example.com"


@pytest.mark.parametrize("typed", ["", None, "anna", "anna@", "anna@example", "a b@example.com"])
def test_an_invalid_email_is_rejected(typed):
    assert normalize_email(typed) is None


def test_an_email_is_found_in_a_sentence():
    assert find_email("Write to Anna.K@Example.com, please") == "anna.k@example.com"


def test_an_invalid_candidate_is_skipped_for_the_next_valid_email():
    assert find_email("a..b@example.com or anna@example.com") == "anna@example.com"


@pytest.mark.parametrize("text", ["", None, "no address", "anna at example dot com"])
def test_text_without_an_email_has_none(text):
    assert find_email(text) is None
