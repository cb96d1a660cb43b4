"""The knowledge base's admin pages, by topic."""

from knowledge import admin_documents, admin_learning  # noqa: F401
