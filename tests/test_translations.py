"""The Russian catalog: complete, compiled, and what Russian-speaking users actually get."""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

CATALOG_DIR = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"
_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])? (".*")$')
#: printf-style (named or bare) and str.format placeholders; "%%" is matched only to be skipped.
_PLACEHOLDER = re.compile(r"%%|%\(\w+\)\w|%\w|\{\w*\}")


@dataclass
class Entry:
    msgctxt: str = ""
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def read_po(path: Path) -> list[Entry]:
    """Just enough of the PO format for what makemessages writes (polib is not a dependency)."""
    entries, entry, target = [], Entry(), None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if target:
                entries.append(entry)
            entry, target = Entry(), None
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            keyword, index, text = match.groups()
            target = (keyword, int(index or 0))
            _append(entry, target, ast.literal_eval(text))
        else:
            _append(entry, target, ast.literal_eval(line))
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    keyword, index = target
    if keyword == "msgstr":
        entry.msgstr[index] = entry.msgstr.get(index, "") + text
    else:
        setattr(entry, keyword, getattr(entry, keyword) + text)


def placeholders(text: str) -> list[str]:
    return sorted(found for found in _PLACEHOLDER.findall(text) if found != "%%")


ENTRIES = read_po(CATALOG_DIR / "django.po")
MESSAGES = [entry for entry in ENTRIES if entry.msgid]
HEADER = next(entry for entry in ENTRIES if not entry.msgid)


def test_the_catalog_has_messages():
    assert len(MESSAGES) > 100


def test_every_message_has_a_translation_for_each_plural_form():
    forms = {False: 1, True: 3}
    incomplete = [
        entry.msgid
        for entry in MESSAGES
        if len(entry.msgstr) != forms[bool(entry.msgid_plural)] or not all(entry.msgstr.values())
    ]
    assert incomplete == []


def test_no_entry_is_marked_fuzzy():
    assert [entry.msgid for entry in ENTRIES if "fuzzy" in entry.flags] == []


def test_translations_keep_the_placeholders_of_their_source():
    mismatched = [
        (entry.msgid, text)
        for entry in MESSAGES
        for text in entry.msgstr.values()
        if placeholders(text) != placeholders(entry.msgid_plural or entry.msgid)
    ]
    assert mismatched == []


def test_header_declares_russian_utf8_and_three_plural_forms():
    header = HEADER.msgstr[0]
    assert "Project-Id-Version: consult-assistant\n" in header
    assert "Language: ru\n" in header
    assert "Content-Type: text/plain; charset=UTF-8\n" in header
    assert "Plural-Forms: nplurals=3;" in header


def test_compiled_catalog_matches_the_po_file():
    """A .po edited without running compilemessages changes nothing for users: catch it here."""
    expected = {}
    for entry in MESSAGES:
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            expected.update({(key, index): text for index, text in entry.msgstr.items()})
        else:
            expected[key] = entry.msgstr[0]
    with (CATALOG_DIR / "django.mo").open("rb") as compiled:
        # GNUTranslations has no public way to list its messages; _catalog is stable since 2.x.
        catalog = gettext.GNUTranslations(compiled)._catalog
    # msgfmt rewrites the header (drops POT-Creation-Date), so only messages are compared.
    assert {key: text for key, text in catalog.items() if key != ""} == expected


def test_russian_users_get_russian_bot_texts():
    with translation.override("ru"):
        assert translation.gettext("I don't know this command. See /help.") == (
            "Не знаю такой команды. Список команд — /help."
        )
        assert translation.gettext("Choose your language:") == "Выберите язык:"


def test_english_users_get_the_source_texts():
    with translation.override("en"):
        assert translation.gettext("I don't know this command. See /help.") == (
            "I don't know this command. See /help."
        )


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 сообщение"),
        (3, "3 сообщения"),
        (5, "5 сообщений"),
        (11, "11 сообщений"),
        (14, "14 сообщений"),
        (21, "21 сообщение"),
        (22, "22 сообщения"),
        (111, "111 сообщений"),
    ],
)
def test_russian_counts_take_the_right_plural_form(count, expected):
    with translation.override("ru"):
        text = translation.ngettext("%(counter)s message", "%(counter)s messages", count)
    assert text % {"counter": count} == expected
