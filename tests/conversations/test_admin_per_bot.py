"""Staff see leads, conversations, messages, notices and prompts per bot, and only their bots'.

A staff user who is not a superuser works with the bots they are assigned to: they see those
bots' leads and the terminal chat's (no bot), never another bot's, wherever a lead shows.
"""

import pytest
from django.urls import reverse

from conversations.models import Contact, Prompt, StaffNotice
from tests.conversations.test_admin_export import (
    EXPORT,
    OWN_HEADERS,
    csv_rows,
    export_form,
    xlsx_sheet,
)
from tests.factories import (
    BotFactory,
    ContactFactory,
    ConversationFactory,
    MessageFactory,
    PromptFactory,
)
from tests.permissions import login_with_permissions

LEADS = reverse("admin:conversations_contact_changelist")
VIEW_ALL = ("view_contact", "view_conversation", "view_message", "view_staffnotice")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def bots(db):
    return BotFactory(name="Shop"), BotFactory(name="Clinic")


@pytest.fixture
def leads(bots):
    """The same person (Telegram user 4242) on both bots, and a terminal chat lead."""
    shop, clinic = bots
    return {
        "shop": ContactFactory(bot=shop, external_id="4242", first_name="Anna", last_name="S"),
        "clinic": ContactFactory(bot=clinic, external_id="4242", first_name="Anna", last_name="C"),
        "terminal": ContactFactory(
            channel=Contact.Channel.TERMINAL, first_name="Tom", last_name="T"
        ),
    }


@pytest.fixture
def shop_staff(client, bots):
    """Staff who work with the shop's bot and may view and export leads."""
    return login_with_permissions(client, *VIEW_ALL, "export_contact", bots=[bots[0]])


def listed(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


def test_staff_see_the_leads_of_their_bots_and_of_no_bot(shop_staff, leads):
    response = shop_staff.get(LEADS)

    assert listed(response) == {leads["shop"].pk, leads["terminal"].pk}


def test_a_superuser_sees_every_bots_leads(admin_client, leads):
    assert listed(admin_client.get(LEADS)) == {lead.pk for lead in leads.values()}


def test_the_lead_list_shows_each_leads_bot_beside_its_source(admin_client, leads):
    Contact.objects.filter(pk=leads["shop"].pk).update(source="ads_vk")

    content = admin_client.get(LEADS).content.decode()

    assert '<span class="truncate" title="Shop">Shop</span><br><span class="quiet">' in content
    assert 'title="ads_vk">ads_vk</span>' in content
    assert 'title="Clinic">Clinic</span></td>' in content


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"bot__id__exact": "shop"}, ["shop"]), ({"bot__isnull": "True"}, ["terminal"])],
)
def test_the_bot_filter_narrows_the_leads(admin_client, bots, leads, params, expected):
    if "bot__id__exact" in params:
        params = {"bot__id__exact": str(bots[0].pk)}

    response = admin_client.get(LEADS, params)

    assert listed(response) == {leads[name].pk for name in expected}


def test_the_bot_filter_offers_only_the_staffs_own_bots(shop_staff, leads):
    content = shop_staff.get(LEADS).content.decode()

    assert "none (terminal chat)" in content
    assert "Shop (@" in content
    assert "Clinic" not in content


def test_another_bots_lead_cannot_be_opened_by_its_address(shop_staff, leads):
    clinic = leads["clinic"].pk

    page = shop_staff.get(reverse("admin:conversations_contact_change", args=[clinic]))
    transcript = shop_staff.get(reverse("admin:conversations_contact_transcript", args=[clinic]))

    assert page.status_code == 302
    assert page.url == reverse("admin:index")
    assert transcript.status_code == 404


def test_another_bots_lead_cannot_be_changed_from_the_list(client, bots, leads):
    staff = login_with_permissions(client, "view_contact", "change_contact", bots=[bots[0]])
    clinic = leads["clinic"]
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(clinic.pk),
        "form-0-status": Contact.Status.WON,
        "_save": "Save",
    }

    staff.post(LEADS, data)

    clinic.refresh_from_db()
    assert clinic.status == Contact.Status.NEW


def test_the_lead_page_shows_its_bot_and_the_same_person_on_other_bots(admin_client, leads):
    shop, clinic = leads["shop"], leads["clinic"]

    content = admin_client.get(
        reverse("admin:conversations_contact_change", args=[shop.pk])
    ).content.decode()

    assert "The same person on other bots" in content
    clinic_url = reverse("admin:conversations_contact_change", args=[clinic.pk])
    assert f'<a href="{clinic_url}">Anna C</a> — Clinic' in content
    assert reverse("admin:bots_bot_change", args=[shop.bot_id]) in content


def test_the_same_person_on_a_bot_the_staff_do_not_work_with_is_not_shown(shop_staff, leads):
    content = shop_staff.get(
        reverse("admin:conversations_contact_change", args=[leads["shop"].pk])
    ).content.decode()

    assert "The same person on other bots" not in content
    assert "Anna C" not in content


def test_a_lead_alone_on_its_bot_lists_no_other_bots(admin_client, leads):
    content = admin_client.get(
        reverse("admin:conversations_contact_change", args=[leads["terminal"].pk])
    ).content.decode()

    assert "The same person on other bots" not in content


def csv_names(response) -> set[str]:
    return {row[1] for row in csv_rows(response)[1:]}


def test_an_export_holds_only_the_leads_the_staff_see(shop_staff, leads):
    response = shop_staff.post(EXPORT, export_form("0"))

    assert csv_names(response) == {"Anna S", "Tom T"}


def test_the_export_names_each_leads_bot(admin_client, leads):
    column = OWN_HEADERS.index("Bot")

    rows = csv_rows(admin_client.post(EXPORT, export_form("0")))
    sheet = xlsx_sheet(admin_client.post(EXPORT, export_form("1")))

    assert {row[1]: row[column] for row in rows[1:]} == {
        "Anna S": "Shop",
        "Anna C": "Clinic",
        "Tom T": "",
    }
    xlsx_bots = {row[1].value: row[column].value for row in sheet.iter_rows(min_row=2)}
    assert xlsx_bots["Anna C"] == "Clinic"
    assert xlsx_bots["Tom T"] in ("", None)


def test_an_export_naming_another_bots_lead_is_refused(shop_staff, leads):
    selected = [leads["clinic"].pk, leads["shop"].pk]

    response = shop_staff.post(EXPORT, export_form("0", export_items=selected))

    assert not response.has_header("Content-Disposition")
    assert "export_items" in response.context["form"].errors


# --- What the leads said and were told --------------------------------------------------------


@pytest.fixture
def talks(leads):
    """A conversation with a message and a staff notice for each lead."""
    for lead in leads.values():
        MessageFactory(conversation=ConversationFactory(contact=lead), text=f"from {lead}")
        StaffNotice.objects.create(contact=lead, reason=StaffNotice.Reason.NEW_LEAD)
    return leads


@pytest.mark.parametrize("model", ["conversation", "message", "staffnotice"])
def test_lists_of_what_leads_said_hold_only_the_staffs_bots_and_no_bot(shop_staff, talks, model):
    response = shop_staff.get(reverse(f"admin:conversations_{model}_changelist"))

    leads = {row.contact_id for row in response.context["cl"].result_list}
    assert leads == {talks["shop"].pk, talks["terminal"].pk}


@pytest.mark.parametrize("model", ["conversation", "message", "staffnotice"])
def test_lists_of_what_leads_said_show_and_filter_by_bot(admin_client, bots, talks, model):
    url = reverse(f"admin:conversations_{model}_changelist")

    everything = admin_client.get(url).content.decode()
    of_clinic = admin_client.get(url, {"contact__bot__id__exact": bots[1].pk})

    assert '<td class="field-bot">Clinic</td>' in everything
    assert {row.contact_id for row in of_clinic.context["cl"].result_list} == {talks["clinic"].pk}


def test_another_bots_message_cannot_be_opened(shop_staff, talks):
    message = talks["clinic"].messages.get()

    response = shop_staff.get(reverse("admin:conversations_message_change", args=[message.pk]))

    assert response.status_code == 302


# --- Prompts ----------------------------------------------------------------------------------


PROMPTS = reverse("admin:conversations_prompt_changelist")
ADD_PROMPT = reverse("admin:conversations_prompt_add")


@pytest.fixture
def prompts(bots):
    shop, clinic = bots
    return {
        "shared": PromptFactory(text="For everyone"),
        "shop": PromptFactory(bot=shop, text="For the shop"),
        "clinic": PromptFactory(bot=clinic, text="For the clinic"),
    }


@pytest.fixture
def prompt_editor(client, bots):
    return login_with_permissions(
        client, "view_prompt", "change_prompt", "add_prompt", bots=[bots[0]]
    )


def prompt_form(bot=None, **changes):
    data = {"key": Prompt.Key.GREETING, "language": "en", "text": "Hello!", "is_active": "on"}
    return {**data, "bot": bot.pk if bot else "", **changes}


def test_staff_see_shared_prompts_and_their_bots_own(prompt_editor, prompts):
    response = prompt_editor.get(PROMPTS)

    assert listed(response) == {prompts["shared"].pk, prompts["shop"].pk}


def test_the_prompt_list_says_whose_each_prompt_is_and_filters_by_it(admin_client, prompts):
    content = admin_client.get(PROMPTS).content.decode()
    shared = admin_client.get(PROMPTS, {"bot__isnull": "True"})

    assert '<td class="field-for_bot">shared</td>' in content
    assert '<td class="field-for_bot">Clinic</td>' in content
    assert listed(shared) == {prompts["shared"].pk}


def test_the_prompt_form_offers_only_the_staffs_bots(prompt_editor, bots):
    choices = prompt_editor.get(ADD_PROMPT).context["adminform"].form.fields["bot"].queryset

    assert list(choices) == [bots[0]]


def test_staff_may_not_save_a_prompt_for_a_bot_they_do_not_work_with(prompt_editor, bots):
    response = prompt_editor.post(ADD_PROMPT, prompt_form(bots[1]))

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors)
    assert not Prompt.objects.exists()


@pytest.mark.parametrize("whose", ["shop", "shared"])
def test_staff_save_a_prompt_for_their_bot_or_shared(prompt_editor, bots, whose):
    bot = bots[0] if whose == "shop" else None

    response = prompt_editor.post(ADD_PROMPT, prompt_form(bot))

    assert response.status_code == 302
    assert Prompt.objects.get().bot == bot


def test_another_bots_prompt_and_its_history_stay_closed(prompt_editor, prompts):
    clinic = prompts["clinic"]
    version = clinic.history.earliest()

    page = prompt_editor.get(reverse("admin:conversations_prompt_change", args=[clinic.pk]))
    history = prompt_editor.get(reverse("admin:conversations_prompt_history", args=[clinic.pk]))
    revert = prompt_editor.post(
        reverse("admin:conversations_prompt_simple_history", args=[clinic.pk, version.history_id]),
        prompt_form(None, key=clinic.key, language=clinic.language, text="Taken over"),
    )

    assert page.status_code == 302
    assert (history.status_code, revert.status_code) == (404, 404)
    clinic.refresh_from_db()
    assert (clinic.text, clinic.bot_id) == ("For the clinic", prompts["clinic"].bot_id)


def test_the_history_of_a_prompt_the_staff_see_opens(prompt_editor, prompts):
    shop = prompts["shop"]

    response = prompt_editor.get(reverse("admin:conversations_prompt_history", args=[shop.pk]))

    assert response.status_code == 200


def test_the_staffs_lead_list_query_count_does_not_grow_with_rows(
    shop_staff, bots, django_assert_max_num_queries
):
    ContactFactory.create_batch(60, bot=bots[0])

    with django_assert_max_num_queries(9):
        shop_staff.get(LEADS)
