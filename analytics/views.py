"""The analytics admin page and its CSV download (staff who may view leads only)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from analytics.charts import funnel_bars, funnel_lines, satisfaction_line, score_bars
from analytics.export import write_report_csv
from analytics.forms import AnalyticsFilterForm
from analytics.selectors import analytics_report

#: The page shows lead numbers, so it asks for the right to see leads.
PERMISSION = "conversations.view_contact"


def _filtered_report(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = AnalyticsFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    return form, filters, analytics_report(**filters.as_kwargs())


def analytics_page(request):
    form, filters, report = _filtered_report(request)
    context = {
        **admin.site.each_context(request),
        "title": _("Analytics"),
        "form": form,
        "filters": filters,
        "report": report,
        "funnel_chart": funnel_bars(report.funnel.total),
        "period_chart": funnel_lines(report.funnel.by_period),
        "satisfaction_chart": satisfaction_line(report.feedback.by_period),
        "score_chart": score_bars(report.feedback.scores),
        "csv_query": request.GET.urlencode(),
        "resolved_by_assistant": report.handoffs.resolved_by_assistant(
            report.conversations.conversations
        ),
    }
    return TemplateResponse(request, "admin/analytics/page.html", context)


def analytics_csv(request):
    _form, filters, report = _filtered_report(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"analytics-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    write_report_csv(response, filters=filters, report=report)
    return response
