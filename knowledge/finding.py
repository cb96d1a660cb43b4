"""The knowledge base's finder, which the assistant asks for passages
(`assistant.grounding.find_passages`; registered in `KnowledgeConfig.ready`)."""

from __future__ import annotations

import logging

import openai
from django.conf import settings

from assistant.gateway import ClientPool, ModelSpec, describe_error, embed
from assistant.grounding import Findings
from assistant.selectors import embedding_model_spec
from core.db import db_call
from knowledge.selectors import has_passages, search_passages

logger = logging.getLogger(__name__)

#: How long the question's vector may take: the person waits for the answer behind it, and
#: the words alone still find passages.
QUESTION_VECTOR_SECONDS = 5.0


def _knowledge_base_of(bot_id: int | None) -> tuple[bool, ModelSpec | None]:
    """Whether the bot has passages, and the embedding model: one database hop."""
    return has_passages(bot_id=bot_id), embedding_model_spec()


async def find(
    *, question: str, bot_id: int | None, language: str, clients: ClientPool
) -> Findings:
    """Up to KNOWLEDGE_PASSAGES passages for the question (in either language: both are
    searched, so `language` does not narrow it). Its vector, when there is an embedding
    model, is made once; if the provider fails the passages are found by words alone."""
    searchable, spec = await db_call(_knowledge_base_of)(bot_id)
    if not searchable:
        return Findings()
    vector = None
    if spec is not None:
        try:
            vectors = await embed(
                spec, [question], clients=clients, read_timeout=QUESTION_VECTOR_SECONDS
            )
            vector = vectors[0]
        except openai.OpenAIError as error:
            logger.warning("Knowledge searched by words only: %s", describe_error(error))
    passages = await db_call(search_passages)(
        question,
        bot_id=bot_id,
        limit=settings.KNOWLEDGE_PASSAGES,
        vector=vector,
        model=spec.model_id if spec else "",
    )
    return Findings(passages=passages, searched=True)
