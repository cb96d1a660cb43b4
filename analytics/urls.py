"""Mounted at /admin/analytics/ (before the admin's own URLs), behind the admin login."""

from django.contrib import admin
from django.urls import path

from analytics.views import analytics_csv, analytics_page

app_name = "analytics"
urlpatterns = [
    path("", admin.site.admin_view(analytics_page), name="page"),
    path("csv/", admin.site.admin_view(analytics_csv), name="csv"),
]
