"""One request to the project's ASGI application, as uvicorn would make it."""

import asyncio

import config.asgi


async def asgi_get(path: str, *, host: str, headers=()) -> tuple[int, bytes]:
    """GET `path` over plain HTTP with the `Host` given; the status and the body."""
    start, body = await asgi_response(path, host=host, headers=headers)
    return start["status"], body


async def asgi_response(path: str, *, host: str, headers=()) -> tuple[dict, bytes]:
    """GET `path` over plain HTTP with the `Host` given; the response's start (status and
    headers) and its body."""
    sent = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client never disconnects; Django stops listening

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": [(b"host", host.encode()), *headers],
        "query_string": b"",
        "server": ("10.0.0.5", 8000),
        "scheme": "http",
    }
    await config.asgi.application(scope, receive, send)
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0], body
