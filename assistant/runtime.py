"""What a running bot or terminal chat keeps between messages.

The flood limits and the pooled LLM clients live here, built once per process by whoever
runs the assistant (`bot.application.build_application`, `manage.py chat`), and closed with
it: no module-level state, and nothing that grows with the number of people (the limits
forget a person once their window has passed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from assistant.flood import CallLimiter
from assistant.gateway import ClientPool

#: Button presses a person may make per minute; each may write to the database or to staff.
BUTTON_PRESSES_PER_MINUTE = 20


@dataclass
class Runtime:
    calls: CallLimiter
    presses: CallLimiter
    clients: ClientPool = field(default_factory=ClientPool)

    @classmethod
    def from_settings(cls) -> Runtime:
        return cls(
            calls=CallLimiter(
                settings.ASSISTANT_RATE_LIMIT_CALLS, settings.ASSISTANT_RATE_LIMIT_WINDOW
            ),
            presses=CallLimiter(BUTTON_PRESSES_PER_MINUTE, 60),
        )

    async def close(self) -> None:
        await self.clients.close()
