"""The search finds passages by the words of a question, in any of their forms, among the
bot's own and shared documents and entries that are active."""

import pytest

from knowledge.indexing import index_entry
from knowledge.models import Chunk, Document, KnowledgeEntry
from knowledge.search import postgres as postgres_search
from knowledge.search import search_text
from knowledge.search.words import query_words
from knowledge.selectors import has_passages, search_passages
from tests.factories import BotFactory
from tests.knowledge.sample_set import index_now

pytestmark = pytest.mark.django_db

SALON_RU = """# Услуги салона

## Стрижка

Женская стрижка стоит 2500 рублей, мужская — 1500 рублей.

## Окрашивание

Окрашивание волос в один тон — от 4000 рублей.

## Парковка

Во дворе есть бесплатные места для машин гостей.
"""
SALON_EN = """# Salon services

## Manicure

A classic manicure costs 1800 roubles and takes an hour.

## Gift cards

Gift cards for any amount are sold at reception.
"""


def document(text, **fields):
    title = fields.pop("title", None) or text.splitlines()[0].lstrip("# ")
    return Document.objects.create(title=title, text=text, **fields)


def headings(question, *, bot_id=None, limit=3):
    return [passage.title for passage in search_passages(question, bot_id=bot_id, limit=limit)]


def test_russian_word_forms_find_each_other():
    document(SALON_RU)
    index_now()

    assert headings("Хочу записаться на стрижку")[0] == "Услуги салона › Стрижка"
    assert headings("сколько стоят стрижки?")[0] == "Услуги салона › Стрижка"
    assert headings("Где припарковаться? Приеду на машине")[0] == "Услуги салона › Парковка"
    assert headings("окрашиванием")[0] == "Услуги салона › Окрашивание"


def test_english_word_forms_and_a_web_pages_passage_with_its_address(file_server):
    url = file_server.serve("/services", SALON_EN, content_type="text/markdown")
    document("", title="Services", url=url)
    index_now()

    passages = search_passages("How much are manicures?", bot_id=None, limit=3)

    assert passages[0].title == "Services › Salon services › Manicure"
    assert passages[0].as_source() == {
        "chunk": passages[0].chunk_id,
        "title": "Services › Salon services › Manicure",
        "url": url,
    }


def test_stop_words_alone_find_nothing_and_do_not_outweigh_the_words_that_matter():
    document(SALON_RU)
    document(SALON_EN)
    index_now()

    assert headings("что как где? what how is the") == []
    assert headings("what is a gift card and how do I get one")[0] == "Salon services › Gift cards"


@pytest.mark.parametrize(
    "question",
    [
        '"стрижка',
        "стрижка*",
        "стрижка OR",
        "стрижка & !(окрашивание | :*)",
        "NEAR(стрижка)",
        "стрижка'); --",
    ],
)
def test_search_syntax_in_a_question_is_read_as_words(question):
    document(SALON_RU)
    index_now()

    assert "Услуги салона › Стрижка" in headings(question)


def test_a_bot_finds_its_own_and_shared_passages_but_not_another_bots():
    mine, other = BotFactory(), BotFactory()
    document("# Парковка\n\nПарковка у первого салона во дворе.", title="Первый", bot=mine)
    document("# Парковка\n\nПарковка у второго салона на улице.", title="Второй", bot=other)
    document("# Парковка\n\nПарковка у всех салонов платная.", title="Общее")
    index_now()

    assert sorted(headings("парковка", bot_id=mine.pk)) == ["Общее › Парковка", "Первый › Парковка"]
    assert headings("парковка", bot_id=None) == ["Общее › Парковка"]
    assert has_passages(bot_id=other.pk)


def test_inactive_documents_and_entries_are_not_found():
    off = document(SALON_RU, is_active=False)
    index_now()
    entry = KnowledgeEntry.objects.create(
        question="Есть ли парковка?", answer="Да, во дворе.", is_active=False
    )

    assert headings("парковка") == []
    assert not has_passages(bot_id=None)

    off.is_active = True
    off.save()
    assert headings("парковка") == ["Услуги салона › Парковка"]
    assert off.chunks.count() == 3 and Document.objects.get(pk=off.pk).status == "ready"
    assert not entry.chunks.exists()


def test_an_approved_entry_is_found_at_once_by_its_question_and_answer():
    bot = BotFactory()
    entry = KnowledgeEntry.objects.create(
        bot=bot, question="Можно ли прийти с собакой?", answer="Да, с маленькой собакой можно."
    )
    index_entry(entry.pk)

    found = search_passages("собаку с собой взять можно?", bot_id=bot.pk, limit=3)

    assert [(passage.title, passage.text, passage.url) for passage in found] == [
        ("Можно ли прийти с собакой?", "Да, с маленькой собакой можно.", "")
    ]
    assert search_passages("собака", bot_id=None, limit=3) == []


def test_an_entry_changed_is_searched_as_it_now_is_and_a_deleted_one_is_gone():
    entry = KnowledgeEntry.objects.create(question="Есть ли парковка?", answer="Нет.")
    index_entry(entry.pk)
    first = entry.chunks.get()
    assert str(entry) == str(first) == "Есть ли парковка?"

    index_entry(entry.pk)
    assert entry.chunks.get() == first  # unchanged: kept as it is

    entry.answer = "Да, во дворе, бесплатно."
    entry.save()
    index_entry(entry.pk)
    assert headings("бесплатно") == ["Есть ли парковка?"]
    assert not Chunk.objects.filter(pk=first.pk).exists()

    entry.is_active = False
    entry.save()
    index_entry(entry.pk)
    assert not entry.chunks.exists()

    entry.is_active = True
    entry.save()
    index_entry(entry.pk)
    entry.delete()
    assert search_text("парковка", bot_id=None, limit=3) == []
    index_entry(entry.pk)  # gone: nothing to write
    assert not Chunk.objects.exists()


def test_a_question_is_read_as_its_words_without_the_common_ones():
    assert query_words("Что? Стрижки и стрижки, Ёлка! what_is a PRICE") == [
        "стрижки",
        "елка",
        "price",
    ]


def test_postgresql_s_ranking_passes_every_query_as_a_parameter_never_in_the_sql():
    hostile = "'x'); DROP TABLE knowledge_chunk; --"
    sql, parameters = postgres_search.ranking_statement(
        [("'park' | 'парк'", 2.5), (hostile, 0.5)], bot_id=3, limit=4
    )

    assert "DROP" not in sql and "park" not in sql
    assert sql.count("%s") == len(parameters)
    assert parameters[0] == f"('park' | 'парк') | ({hostile})"
    assert parameters[1] == 3 and parameters[-1] == 4
    assert [parameters[3], parameters[4], parameters[6], parameters[7]] == [
        "'park' | 'парк'",
        2.5,
        hostile,
        0.5,
    ]
