"""Links the analytics page from the admin index (the rollup's tables are not for editing)."""

from django.contrib import admin

admin.site.index_template = "admin/analytics/index.html"
