"""Loopback fakes of the Telegram Bot API and an OpenAI-compatible API, driven by the real clients.

They emulate only what the bot uses, on 127.0.0.1, and say in their docstrings where they differ
from the real services.
"""
