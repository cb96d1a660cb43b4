"""Links the analytics page from the admin index (the app has no models to register)."""

from django.contrib import admin

admin.site.index_template = "admin/analytics/index.html"
