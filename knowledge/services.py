"""Writing to the knowledge base: the sample documents a first run may start from."""

from __future__ import annotations

from pathlib import Path

from knowledge.chunking import HEADING_SEPARATOR, split_text
from knowledge.models import Document
from knowledge.reading import read_file

#: A consulting company's documents in Russian and English (prices, booking, payment, office,
#: specialists), matching the catalog's and the prompts' defaults.
SAMPLE_DIRECTORY = Path(__file__).resolve().parent / "defaults" / "sample"


def load_sample_documents() -> int:
    """Add the sample documents, shared by every bot, that are not there yet (by file name),
    waiting to be indexed; how many were added."""
    added = 0
    for path in sorted(SAMPLE_DIRECTORY.glob("*.md")):
        if Document.objects.filter(file_name=path.name).exists():
            continue
        text = read_file(path.name, path.read_bytes())
        title = split_text(text)[0].heading.split(HEADING_SEPARATOR)[0]
        Document.objects.create(title=title, file_name=path.name, text=text)
        added += 1
    return added
