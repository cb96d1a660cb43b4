"""Which passages a bot may answer from: its own and the shared ones, of active documents and
entries. One SQL fragment both databases' queries share (`c` is `knowledge_chunk`)."""

from knowledge.models import Chunk, Document, KnowledgeEntry

FROM_SEARCHABLE = f"""
    FROM {Chunk._meta.db_table} c
    LEFT JOIN {Document._meta.db_table} d ON d.id = c.document_id
    LEFT JOIN {KnowledgeEntry._meta.db_table} e ON e.id = c.entry_id
"""
#: Takes one parameter: the bot's id (None: the shared passages only).
SEARCHABLE = "(c.bot_id = %s OR c.bot_id IS NULL) AND (d.is_active OR e.is_active)"
