"""The shipped sample knowledge base answers its labelled questions by words alone."""

import pytest

from knowledge.services import load_sample_documents
from tests.knowledge.sample_set import index_now, questions, recall_at

pytestmark = pytest.mark.django_db


def test_full_text_search_finds_the_answer_in_the_first_three_passages_of_nine_questions_in_ten():
    assert load_sample_documents() == 10
    index_now()

    recall, missed = recall_at(3)

    assert len(questions()) >= 50
    assert recall >= 0.9, missed


def test_the_sample_is_added_once():
    load_sample_documents()
    assert load_sample_documents() == 0
