"""Words as the search compares them: lower-cased, without stop words, reduced to their stems
(Snowball), so "стрижку" finds "стрижка" and "prices" finds "price".

A passage is stemmed by its own language; a question by both (people mix them, and a stem of
the wrong language is simply a word no passage has).
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

#: How many of a question's words are searched (a pasted page is not a question).
MAX_QUERY_WORDS = 32

_WORD = re.compile(r"[^\W_]+")

_STOP_WORDS_TEXT = """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our ours out over own please same she
    should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your yours tell know want need get like
    а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже
    для до его ее её если есть еще ещё же за здесь и из или им их к как ко когда кто ли либо мне
    может мой мы на надо наш не него нее неё нет ни них но ну о об однако он она они оно от
    очень по под при с со так также такой там те тем то того тоже той только том ту ты у уже
    хотя чего чей чем что чтобы чье чьё эта эти это этот я можно нужно хочу хотим хотел хотела
    подскажите скажите пожалуйста расскажите какой какая какие каков сколько моя мои ваш ваша
    ваши вами нам нас меня
"""
#: Words too common to say what a question is about.
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_STEMMERS = {
    "ru": snowballstemmer.stemmer("russian"),
    "en": snowballstemmer.stemmer("english"),
}


def words(text: str) -> list[str]:
    """The words of `text` that say something, lower-cased, ё read as е."""
    found = _WORD.findall(text.lower().replace("ё", "е"))
    return [word for word in found if word not in STOP_WORDS]


@lru_cache(maxsize=50_000)
def stem(word: str, language: str) -> str:
    return _STEMMERS.get(language, _STEMMERS["en"]).stemWord(word)


def stems(text: str, language: str) -> list[str]:
    """The stems of a passage's words, in order, by the passage's language."""
    return [stem(word, language) for word in words(text)]


def query_stems(question: str) -> list[str]:
    """The distinct stems of a question's words by both stemmers, in order of appearance."""
    found: dict[str, None] = {}
    for word in words(question)[:MAX_QUERY_WORDS]:
        for language in _STEMMERS:
            found[stem(word, language)] = None
    return list(found)


def query_words(question: str) -> list[str]:
    """The distinct words of a question, for a database that stems them itself."""
    return list(dict.fromkeys(words(question)[:MAX_QUERY_WORDS]))
