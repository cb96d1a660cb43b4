"""`manage.py index_knowledge`: index the documents waiting for it now, without a running bot
(`--all`: every document is read and split again, and every entry written again; unchanged
passages keep their vectors; `--sample`: add the sample documents first)."""

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from assistant.gateway import ClientPool
from knowledge.indexing import index_entry, index_pending, queue_documents
from knowledge.models import Document, KnowledgeEntry
from knowledge.services import load_sample_documents


class Command(BaseCommand):
    help = _("Index the knowledge base's documents that wait for it (--all: everything).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help=_("Index every document and entry again.")
        )
        parser.add_argument(
            "--sample",
            action="store_true",
            help=_("Add the sample documents (a consulting company's, in Russian and English)."),
        )

    def handle(self, *args, **options):
        if options["sample"]:
            load_sample_documents()
        if options["all"]:
            queue_documents(Document.objects.all())
            for entry_id in KnowledgeEntry.objects.values_list("pk", flat=True):
                index_entry(entry_id)
        async_to_sync(_index_pending)()
        for document in Document.objects.exclude(status=Document.Status.READY):
            self.stderr.write(f"{document.title}: {document.get_status_display()} {document.error}")
        ready = Document.objects.filter(status=Document.Status.READY).count()
        self.stdout.write(_("Documents ready: %(count)d.") % {"count": ready})


async def _index_pending() -> None:
    clients = ClientPool()
    try:
        await index_pending(clients=clients)
    finally:
        await clients.close()
