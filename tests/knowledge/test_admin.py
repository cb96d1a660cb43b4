"""Staff add documents in admin as a file, a web page or text, and follow their indexing."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge.models import Document
from tests.knowledge.documents import docx_with
from tests.knowledge.sample_set import index_now

pytestmark = pytest.mark.django_db

ADD = reverse("admin:knowledge_document_add")
LIST = reverse("admin:knowledge_document_changelist")


@pytest.fixture(autouse=True)
def english(settings):
    """Staff's pages in English (the site's default is Russian)."""
    settings.LANGUAGE_CODE = "en"


def change_url(document):
    return reverse("admin:knowledge_document_change", args=[document.pk])


def posted(**fields):
    return {"title": "Prices", "language": "", "url": "", "text": "", "is_active": "on", **fields}


def test_an_uploaded_file_is_kept_as_its_text_and_name_only(admin_client):
    upload = SimpleUploadedFile(
        "prices.docx", docx_with(("Heading 1", "Haircuts"), ("Normal", "2500."))
    )

    response = admin_client.post(ADD, posted(upload=upload, text="ignored"))

    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.text, document.file_name) == ("# Haircuts\n\n2500.", "prices.docx")
    assert document.status == Document.Status.PENDING


def test_a_file_that_cannot_be_read_or_nothing_at_all_is_refused(admin_client):
    bad = admin_client.post(ADD, posted(upload=SimpleUploadedFile("prices.xlsx", b"PK")))
    empty = admin_client.post(ADD, posted(text="  "))

    assert "use a Markdown, text, HTML, PDF or DOCX file" in str(
        bad.context["adminform"].form.errors
    )
    assert "Give a file, a web page or the text." in str(empty.context["adminform"].form.errors)
    assert not Document.objects.exists()


def test_pasted_text_or_a_web_page_is_enough(admin_client):
    admin_client.post(ADD, posted(title="Notes", text="# Notes\n\nOpen daily."))
    admin_client.post(ADD, posted(title="Site", url="salon.example/prices"))

    assert Document.objects.get(title="Notes").text == "# Notes\n\nOpen daily."
    assert Document.objects.get(title="Site").url == "https://salon.example/prices"


def test_the_list_and_the_page_show_the_indexing_and_its_passages(admin_client):
    document = Document.objects.create(
        title="Prices", text="# Prices\n\n## Haircuts\n\n2500.\n\n## Colouring\n\n4000."
    )
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.INDEXING, progress_done=1, progress_total=2
    )

    listing = admin_client.get(LIST).content.decode()
    page = admin_client.get(change_url(document))

    assert "1 / 2" in listing
    assert "Indexing: 1 of 2 passages so far. Refresh the page to follow." in [
        str(message) for message in get_messages(page.wsgi_request)
    ]

    index_now()
    ready = admin_client.get(change_url(document))
    content = ready.content.decode()
    assert "Prices › Colouring" in content and "4000." in content
    assert not list(get_messages(ready.wsgi_request))


def test_a_failed_documents_page_shows_its_error_and_the_file_it_came_from(admin_client):
    document = Document.objects.create(title="Prices", text="2500.")
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.FAILED, error="The page is gone.", file_name="prices.md"
    )

    content = admin_client.get(change_url(document)).content.decode()

    assert "The page is gone." in content and "prices.md" in content


def test_re_index_queues_the_chosen_documents(admin_client):
    document = Document.objects.create(title="Prices", text="# Prices\n\n2500.")
    index_now()

    response = admin_client.post(
        LIST, {"action": "reindex", "_selected_action": [document.pk]}, follow=True
    )

    assert "1 document queued for indexing." in response.content.decode()
    assert Document.objects.get(pk=document.pk).status == Document.Status.PENDING
