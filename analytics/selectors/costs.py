"""What the LLM cost: tokens per model in a period, priced from the model registry."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from analytics.models import DailyUsage
from analytics.selectors.periods import Bots, daily
from assistant.models import LLMModel

_PER_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Usage:
    """`estimated_calls`: calls whose provider sent no token counts, so theirs are estimates."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal(0)
    estimated_calls: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.calls + other.calls,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cost + other.cost,
            self.estimated_calls + other.estimated_calls,
        )


@dataclass(frozen=True)
class ModelCost:
    model_name: str
    #: False when the model is no longer in the registry: its price is unknown, cost shows 0.
    in_registry: bool
    replies: Usage
    extraction: Usage

    @property
    def total(self) -> Usage:
        return self.replies + self.extraction


@dataclass(frozen=True)
class CostReport:
    models: list[ModelCost]

    @property
    def replies(self) -> Usage:
        return sum((model.replies for model in self.models), Usage())

    @property
    def extraction(self) -> Usage:
        return sum((model.extraction for model in self.models), Usage())

    @property
    def total(self) -> Usage:
        return self.replies + self.extraction


def _token_sums(rows: QuerySet) -> dict[str, dict[str, dict[str, int]]]:
    """Calls and tokens per kind (reply, extraction) and model, from the rollup's rows."""
    sums = (
        rows.values_list("kind", "model_name")
        .annotate(
            made=Sum("calls"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            estimated=Sum("estimated_calls"),
        )
        .filter(made__gt=0)
        .order_by()
    )
    by_kind: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for kind, model_name, calls, prompt_tokens, completion_tokens, estimated in sums:
        by_kind[kind][model_name] = {
            "calls": int(calls),
            "prompt_tokens": int(prompt_tokens),
            "completion_tokens": int(completion_tokens),
            "estimated_calls": int(estimated),
        }
    return by_kind


def _prices(model_ids) -> dict[str, tuple[Decimal, Decimal]]:
    """Input and output price per million tokens by model id.

    The same model id may be registered under two providers; the active, first-listed one
    is taken, as the reply pipeline would pick it.
    """
    rows = (
        LLMModel.objects.filter(model_id__in=model_ids)
        .order_by("-is_active", "position", "pk")
        .values_list("model_id", "input_price_per_million", "output_price_per_million")
    )
    prices: dict[str, tuple[Decimal, Decimal]] = {}
    for model_id, input_price, output_price in rows:
        prices.setdefault(model_id, (input_price, output_price))
    return prices


def _usage(sums: dict | None, price: tuple[Decimal, Decimal] | None) -> Usage:
    if sums is None:
        return Usage()
    input_price, output_price = price or (Decimal(0), Decimal(0))
    cost = (sums["prompt_tokens"] * input_price + sums["completion_tokens"] * output_price) / (
        _PER_MILLION
    )
    return Usage(
        sums["calls"],
        sums["prompt_tokens"],
        sums["completion_tokens"],
        cost,
        sums["estimated_calls"],
    )


def llm_costs(
    *, date_from: date, date_to: date, source: str | None = None, bots: Bots = None
) -> CostReport:
    """Tokens and cost per model in the period: the assistant's replies and lead-card extraction.

    Cost is tokens / 1,000,000 x the model's current price in the registry.
    """
    sums = _token_sums(daily(DailyUsage, date_from, date_to, source, bots))
    return priced(replies=sums[DailyUsage.Kind.REPLY], extraction=sums[DailyUsage.Kind.EXTRACTION])


def priced(*, replies: dict[str, dict], extraction: dict[str, dict]) -> CostReport:
    """The report from calls and tokens per model name, the most expensive model first."""
    names = sorted(replies.keys() | extraction.keys())
    prices = _prices(names)
    models = [
        ModelCost(
            model_name=name,
            in_registry=name in prices,
            replies=_usage(replies.get(name), prices.get(name)),
            extraction=_usage(extraction.get(name), prices.get(name)),
        )
        for name in names
    ]
    models.sort(key=lambda model: (-model.total.cost, -model.total.tokens, model.model_name))
    return CostReport(models)
