"""The analytics admin page: who may see it, what it shows, and its filters."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from analytics.selectors import latencies
from conversations.models import Message
from tests.analytics.seed import conversation, lead, message, moscow
from tests.factories import UserFactory

PAGE = "/admin/analytics/"
MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-10"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_page_lives_under_the_admin():
    assert reverse("analytics:page") == PAGE


def test_anonymous_visitor_is_sent_to_the_admin_login(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_logged_in_non_staff_user_is_sent_to_the_admin_login(client, db):
    client.force_login(UserFactory(is_staff=False))

    response = client.get(PAGE)

    assert response.status_code == 302


def test_staff_without_the_right_to_view_leads_is_refused(client, db):
    client.force_login(staff_with("view_message"))

    assert client.get(PAGE).status_code == 403
    assert client.get(reverse("analytics:csv")).status_code == 403


def test_staff_who_may_view_leads_sees_the_page(client, db):
    client.force_login(staff_with("view_contact"))

    assert client.get(PAGE).status_code == 200


def test_page_shows_the_funnel_with_conversion_rates(admin_client, funnel_leads):
    content = admin_client.get(PAGE, MARCH).content.decode()

    assert "Wrote a question" in content
    assert "57.1%" in content
    assert "10.0%" in content


def test_page_draws_every_chart_as_inline_svg(admin_client, funnel_leads):
    content = admin_client.get(PAGE, MARCH).content.decode()

    # the funnel, by period; the share of 👍, the survey's scores
    assert content.count('<svg xmlns="http://www.w3.org/2000/svg" viewBox=') == 4
    assert "<script" not in content.split('id="content-main"')[1]


def test_page_shows_sources_with_direct_visits_named(admin_client, funnel_leads):
    report = admin_client.get(PAGE, MARCH).context["report"]

    assert [row.key for row in report.funnel.by_source] == ["ads", "(direct)", "vk"]


def test_page_defaults_to_the_last_30_days(admin_client, db):
    lead(timezone.now() - timedelta(days=29))
    lead(timezone.now() - timedelta(days=31))

    response = admin_client.get(PAGE)

    filters = response.context["filters"]
    assert filters.date_to == timezone.localdate()
    assert (filters.date_to - filters.date_from).days == 29
    assert response.context["report"].funnel.total[0].count == 1


def test_date_filter_limits_the_cohort(admin_client, funnel_leads):
    response = admin_client.get(PAGE, {"date_from": "2025-03-05", "date_to": "2025-03-05"})

    assert [stage.count for stage in response.context["report"].funnel.total] == [5, 2, 0, 0, 0]


def test_direct_source_filter_keeps_leads_without_a_source(admin_client, funnel_leads):
    response = admin_client.get(PAGE, {**MARCH, "source": "(direct)"})

    assert response.context["report"].funnel.total[0].count == 4


def test_source_filter_offers_every_known_source(admin_client, funnel_leads):
    form = admin_client.get(PAGE).context["form"]

    assert [value for value, _label in form.fields["source"].widget.choices] == [
        "",
        "(direct)",
        "ads",
        "vk",
    ]


def test_week_granularity_groups_by_monday(admin_client, funnel_leads):
    response = admin_client.get(PAGE, {**MARCH, "granularity": "week"})

    content = response.content.decode()
    assert [row.counts[0] for row in response.context["report"].funnel.by_period] == [0, 10, 0]
    assert "Week from" in content


def test_start_date_after_end_date_is_an_error_and_the_defaults_apply(admin_client, db):
    response = admin_client.get(PAGE, {"date_from": "2025-03-10", "date_to": "2025-03-01"})

    assert "The start date is after the end date." in response.content.decode()
    assert response.context["filters"].date_to == timezone.localdate()


def test_only_a_start_date_reports_up_to_today(admin_client, db):
    response = admin_client.get(PAGE, {"date_from": "2025-03-01"})

    assert response.context["filters"].date_to == timezone.localdate()


def test_a_start_date_in_the_future_reports_that_day_alone(admin_client, db):
    future = timezone.localdate() + timedelta(days=3)

    response = admin_client.get(PAGE, {"date_from": future.isoformat()})

    filters = response.context["filters"]
    assert (filters.date_from, filters.date_to) == (future, future)


def test_only_an_end_date_reports_the_30_days_before_it(admin_client, db):
    response = admin_client.get(PAGE, {"date_to": "2025-03-30"})

    assert response.context["filters"].date_from.isoformat() == "2025-03-01"


def test_a_model_missing_from_the_registry_is_marked_on_the_page(admin_client, db):
    talk = conversation(lead(moscow("2025-03-04")))
    message(talk, role=Message.Role.ASSISTANT, model_name="gone-model", prompt_tokens=5)

    content = admin_client.get(PAGE, MARCH).content.decode()

    assert "gone-model" in content
    assert "not in the registry" in content


def test_page_escapes_a_source_with_markup(admin_client, db):
    lead(moscow("2025-03-04"), source="<b>x</b>")

    content = admin_client.get(PAGE, MARCH).content.decode()

    assert "<b>x</b>" not in content
    assert "&lt;b&gt;x&lt;/b&gt;" in content


def test_admin_index_links_to_the_page(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()

    assert f'href="{PAGE}"' in content


def test_admin_index_hides_the_link_from_staff_who_may_not_view_leads(client, db):
    client.force_login(staff_with("view_message"))

    content = client.get(reverse("admin:index")).content.decode()

    assert f'href="{PAGE}"' not in content


@pytest.mark.usefixtures("funnel_leads")
def test_page_reads_in_russian(admin_client):
    content = admin_client.get(PAGE, MARCH, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Воронка" in content


def test_an_invalid_date_keeps_the_other_filters(admin_client, funnel_leads):
    response = admin_client.get(PAGE, {"date_from": "not a date", "date_to": "2025-03-10"})

    filters = response.context["filters"]
    assert (filters.date_from.isoformat(), filters.date_to.isoformat()) == (
        "2025-02-09",
        "2025-03-10",
    )


def period_table_days(content):
    """The day column of the per-period table, top to bottom."""
    section = content[content.index("<th>Day</th>") :]
    section = section[: section.index("</table>")]
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", section)


def test_the_period_table_lists_the_newest_day_first_without_a_scroll_box(admin_client, db):
    lead(moscow("2025-03-04"))

    content = admin_client.get(PAGE, {"date_from": "2025-03-01", "date_to": "2025-03-03"}).content
    content = content.decode()

    assert period_table_days(content) == ["03/03/2025", "03/02/2025", "03/01/2025"]
    assert 'class="scroll"' not in content


def test_date_inputs_show_the_admin_language_format(admin_client, db, settings):
    settings.LANGUAGE_CODE = "ru"

    content = admin_client.get(PAGE).content.decode()

    today = timezone.localdate().strftime("%d.%m.%Y")
    assert '<html lang="ru"' in content
    assert f'name="date_to" value="{today}" class="vDateField"' in content
    assert 'type="date"' not in content


def test_a_date_typed_in_the_russian_format_filters_the_page(admin_client, db, settings):
    settings.LANGUAGE_CODE = "ru"

    response = admin_client.get(PAGE, {"date_from": "01.03.2025", "date_to": "10.03.2025"})

    filters = response.context["filters"]
    assert (filters.date_from.isoformat(), filters.date_to.isoformat()) == (
        "2025-03-01",
        "2025-03-10",
    )


def test_page_says_how_precise_percentiles_read_from_buckets_are(admin_client, db, monkeypatch):
    monkeypatch.setattr(latencies, "EXACT_LATENCY_REPLIES", 0)
    talk = conversation(lead(moscow("2025-03-04")))
    message(talk, role=Message.Role.ASSISTANT, latency_ms=1234)

    content = admin_client.get(PAGE, MARCH).content.decode()

    assert "each within 2.5% (or 1 ms) of the exact value" in content


def test_exact_percentiles_come_without_a_precision_note(admin_client, db):
    talk = conversation(lead(moscow("2025-03-04")))
    message(talk, role=Message.Role.ASSISTANT, latency_ms=1234)

    content = admin_client.get(PAGE, MARCH).content.decode()

    assert "1234" in content
    assert "of the exact value" not in content
