"""Waiting that a stop cuts short: retries and polls of long-running loops."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds`, or less if `stop` is set first; True when it was set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def repeat(
    stop: asyncio.Event,
    step: Callable[[], Awaitable[None]],
    *,
    every: float,
    first_wait: float,
    failure: str,
) -> None:
    """`step` after `first_wait`, then every `every` seconds, until `stop` is set (a step
    under way is finished first). A failing step is logged with `failure` (naming the error
    as %s) and the next one tries again: work beside the updates never stops a process."""
    wait = first_wait
    while not await pause(stop, wait):
        try:
            await step()
        except Exception as error:
            logger.warning(failure, error)
        wait = every
