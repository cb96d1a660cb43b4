"""This server's address as staff reach it, for admin pages that show an address to paste
elsewhere (a site's snippet, VK's Callback API address).

A read-only field gets only the object, not the request: the change page's view remembers
the origin per request (a context variable, so concurrent requests never see each other's).
"""

from contextvars import ContextVar

_origin: ContextVar[str] = ContextVar("admin_public_origin", default="")


def public_origin() -> str:
    """`scheme://host[:port]` of the change page being drawn."""
    return _origin.get()


class PublicOriginMixin:
    """A ModelAdmin mixin: its change page's fields may call `public_origin()`."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        _origin.set(f"{request.scheme}://{request.get_host()}")
        return super().changeform_view(request, object_id, form_url, extra_context)
