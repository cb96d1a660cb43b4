import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from servestatic import ServeStaticASGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
#: Static files (after `collectstatic`) are answered before Django, the rest by Django.
application = ServeStaticASGI(
    get_asgi_application(), root=settings.STATIC_ROOT, prefix=settings.STATIC_URL
)
