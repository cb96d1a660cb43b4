"""Knowledge base search: recall on the shipped sample and latency over 10,000 passages.

Recall@3: the sample knowledge base (knowledge/defaults/sample, 58 passages in Russian and
English) is indexed and each labelled question of bench/knowledge_questions.json is searched;
a question counts when one of the first three passages is the one labelled. Measured with full
text alone, with fake embeddings (a hashed bag of stems served by the fake OpenAI server, so
the fusion is exercised, not a model's quality) and, when BENCH_EMBEDDING_BASE_URL and
BENCH_EMBEDDING_MODEL (and BENCH_EMBEDDING_KEY_VARIABLE, the name of the variable holding the
key) are set, with a real OpenAI-compatible embedding model.

Latency: `--chunks` synthetic passages (words of the sample in new orders, three bots and
shared ones) are added and every question is searched as one of the bots (its passages and
the shared ones: about half) `--runs` times, in turns with the
baseline, a scan of the passages for the question's longest word (`icontains`: what a search
without an index does). Per search: wall-clock p50 and p99, CPU time of this process, and the
median ratio to the baseline in the same round. Full text, then full text with vectors (256
dimensions, compared in Python).

    .venv/bin/python bench/knowledge_search.py [--chunks 10000] [--runs 5]

Targets: recall@3 >= 0.9 with full text alone, full-text search p99 < 50 ms. The exit status
is 1 when one is missed.
"""

import argparse
import contextlib
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchsetup import analyze, database_label, throwaway_database  # noqa: E402

RECALL_TARGET = 0.9
P99_TARGET_MS = 50.0
DIMENSIONS = 256
BOTS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from cryptography.fernet import Fernet

    with throwaway_database(DATABASE_THREADS="1", BOT_TOKEN_KEYS=Fernet.generate_key().decode()):
        print(f"database: {database_label()}")
        met = run(args.chunks, args.runs)
    sys.exit(0 if met else 1)


def run(chunks: int, runs: int) -> bool:
    from asgiref.sync import async_to_sync
    from django.core.management import call_command

    from tests.fakes.openai_server import FakeOpenAI, fake_embedding
    from tests.knowledge.sample_set import questions, recall_at

    with contextlib.redirect_stdout(io.StringIO()):
        call_command("index_knowledge", "--sample")
    words_only, missed = recall_at(3)
    print(f"\nrecall@3, {len(questions())} questions")
    print(f"  full text alone:             {words_only:.2f}")
    for question in missed:
        print(f"    missed: {question.question}")
    with FakeOpenAI() as fake:
        model = _embedding_model(fake.base_url, "fake-embedder", "")
        with contextlib.redirect_stdout(io.StringIO()):
            call_command("index_knowledge")
        fused, _missed = recall_at(3, lambda text: fake_embedding(text, DIMENSIONS), model)
        print(f"  full text + fake embeddings: {fused:.2f}")
    _real_model_recall(async_to_sync)

    print(f"\nsearch over {chunks:,} passages, {runs} rounds of {len(questions())} questions")
    _add_synthetic_passages(chunks)
    analyze()
    timings = _time_searches(runs)
    _print_timings(timings)
    p99 = _percentile(timings["full text"][0], 99)
    print(
        f"\ntarget recall@3 >= {RECALL_TARGET}:", "met" if words_only >= RECALL_TARGET else "MISSED"
    )
    print(
        f"target full-text p99 < {P99_TARGET_MS:.0f} ms:",
        "met" if p99 < P99_TARGET_MS else "MISSED",
    )
    return words_only >= RECALL_TARGET and p99 < P99_TARGET_MS


def _embedding_model(base_url: str, model_id: str, key_variable: str) -> str:
    from assistant.models import LLMModel, LLMProvider

    LLMModel.objects.update(is_active=False)
    provider = LLMProvider.objects.create(
        name=f"bench {model_id}", base_url=base_url, api_key_env=key_variable
    )
    LLMModel.objects.create(provider=provider, model_id=model_id, capabilities=["embedding"])
    return model_id


def _real_model_recall(async_to_sync) -> None:
    base_url = os.environ.get("BENCH_EMBEDDING_BASE_URL", "")
    model_id = os.environ.get("BENCH_EMBEDDING_MODEL", "")
    if not (base_url and model_id):
        print("  full text + a real model:    not measured (set BENCH_EMBEDDING_BASE_URL, ...)")
        return
    from django.core.management import call_command

    from assistant.gateway import ClientPool, embed
    from assistant.selectors import embedding_model_spec
    from tests.knowledge.sample_set import questions, recall_at

    _embedding_model(base_url, model_id, os.environ.get("BENCH_EMBEDDING_KEY_VARIABLE", ""))
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("index_knowledge")
    texts = [question.question for question in questions()]
    spec = embedding_model_spec()

    async def embedded():
        clients = ClientPool()
        try:
            return await embed(spec, texts, clients=clients)
        finally:
            await clients.close()

    vectors = dict(zip(texts, async_to_sync(embedded)(), strict=True))
    recall, _missed = recall_at(3, vectors.__getitem__, model_id)
    print(f"  full text + {model_id}: {recall:.2f}")


def _add_synthetic_passages(count: int) -> None:
    """Passages made of the sample's words in new orders: as many words per passage, and a
    vocabulary as varied, as a business's documents."""
    from knowledge.chunking import content_hash
    from knowledge.models import Chunk, Document
    from knowledge.search import add_to_index
    from tests.factories import BotFactory
    from tests.fakes.openai_server import fake_embedding

    sample = list(Chunk.objects.values_list("text", "language"))
    words = {language: [] for _text, language in sample}
    for text, language in sample:
        words[language].extend(text.split())
    randomness = random.Random(14)
    bots = [BotFactory() for _bot in range(BOTS)]  # the first one asks (`_time_searches`)
    for number in range(0, count, 500):
        bot = randomness.choice([*bots, None])
        document = Document.objects.create(title=f"Synthetic {number}", text="-", bot=bot)
        Document.objects.filter(pk=document.pk).update(status=Document.Status.READY)
        batch = []
        for position in range(min(500, count - number)):
            language = randomness.choice(list(words))
            text = " ".join(randomness.choices(words[language], k=randomness.randint(30, 120)))
            heading = " ".join(randomness.choices(words[language], k=3))
            batch.append(
                Chunk(
                    document=document,
                    bot=bot,
                    position=position,
                    heading=heading,
                    text=text,
                    language=language,
                    content_hash=content_hash(heading, text),
                    vector=fake_embedding(f"{heading}\n{text}", DIMENSIONS),
                    vector_model="fake-embedder",
                )
            )
        add_to_index(Chunk.objects.bulk_create(batch))


def _time_searches(runs: int) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """Per variant: wall ms, CPU ms and the ratio to the baseline, per search."""
    from bots.models import Bot
    from knowledge.models import Chunk
    from knowledge.search.words import words
    from knowledge.selectors import search_passages
    from tests.fakes.openai_server import fake_embedding
    from tests.knowledge.sample_set import questions

    bot_id = Bot.objects.order_by("pk").values_list("pk", flat=True).first()
    asked = [question.question for question in questions()]
    vectors = {text: fake_embedding(text, DIMENSIONS) for text in asked}
    variants = {
        "baseline: icontains scan": lambda text: list(
            Chunk.objects.filter(text__icontains=max(words(text), key=len)).values_list("pk")[:4]
        ),
        "full text": lambda text: search_passages(text, bot_id=bot_id, limit=4),
        "full text + vectors": lambda text: search_passages(
            text, bot_id=bot_id, limit=4, vector=vectors[text], model="fake-embedder"
        ),
    }
    for text in asked:  # warm up: caches, vectors in memory
        for variant in variants.values():
            variant(text)
    timings = {name: ([], [], []) for name in variants}
    for _round in range(runs):
        for text in asked:
            baseline = None
            for name, variant in variants.items():
                wall, cpu = time.perf_counter(), time.process_time()
                variant(text)
                cpu_ms = (time.process_time() - cpu) * 1000
                wall_ms = (time.perf_counter() - wall) * 1000
                baseline = baseline or wall_ms
                timings[name][0].append(wall_ms)
                timings[name][1].append(cpu_ms)
                timings[name][2].append(wall_ms / max(baseline, 1e-6))
    return timings


def _percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _print_timings(timings) -> None:
    print(f"{'':<26}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>9}{'x baseline':>12}")
    for name, (walls, cpus, ratios) in timings.items():
        print(
            f"{name:<26}{_percentile(walls, 50):>9.1f}{_percentile(walls, 99):>9.1f}"
            f"{statistics.median(cpus):>9.1f}{statistics.median(ratios):>11.1f}x"
        )


if __name__ == "__main__":
    main()
