from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from bot.webhook import telegram_webhook

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/analytics/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("telegram/webhook/<int:bot_id>/", telegram_webhook, name="telegram_webhook"),
    path("", include("ops.urls")),
    path("", include("webchat.urls")),
    path("", include("vk.urls")),
]
