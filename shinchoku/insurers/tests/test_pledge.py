"""The insurer's pledge (誓約・同意事項, issue 5 item 1): versions are added, never edited; the
default text stands in until the insurer writes its own; each version is audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.insurers.models import Pledge
from shinchoku.insurers.selectors import default_pledge_text, pledge_current, pledge_digest
from shinchoku.insurers.services import pledge_create, pledge_for_acceptance
from shinchoku.offices.models import OfficeKind
from shinchoku.offices.services import Application, office_register
from tests.personas import Cast
from tests.registration import NUMBER, upload

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
URL = "/settings/pledge/"


def _created() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.INSURERS_PLEDGE_CREATED).order_by("pk"))


def test_the_default_pledge_names_the_insurer_and_covers_the_duties(cast: Cast) -> None:
    text = default_pledge_text(cast.insurer_b)

    assert text.startswith("横浜市「介護認定 進捗照会サービス」の利用にあたっての誓約・同意事項\n")
    for duty in (
        "ケアマネジメントの業務)にのみ利用します",  # purpose
        "職員一人ひとりに個別に発行し、本人だけが使います",  # personal accounts
        "他人と共有したり、貸し借りしたりしません",  # no shared IDs
        "その日のうちに、事業所の管理者がそのアカウントを無効にします",  # leavers
        "情報セキュリティ対策",  # the guideline
        "直ちに保険者の介護保険担当課に報告し",  # incidents
        "利用を停止し、または承認を取り消すことができます",  # suspension
    ):
        assert duty in text
    assert "{{" not in text and "{%" not in text


def test_without_a_version_the_current_pledge_is_the_default(cast: Cast) -> None:
    current = pledge_current(cast.insurer_a)

    assert (current.pledge, current.version) == (None, None)
    assert current.text == default_pledge_text(cast.insurer_a)
    assert current.digest == pledge_digest(current.text)


def test_each_save_adds_a_version_and_the_latest_is_current(cast: Cast) -> None:
    first = pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="第一の誓約\r\n")
    second = pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="第二の誓約")

    assert [(p.version, p.text) for p in Pledge.objects.filter(insurer=cast.insurer_a).order_by("version")] == [
        (1, "第一の誓約\n"),
        (2, "第二の誓約\n"),
    ]
    assert Pledge.objects.get(pk=first.pk).text == "第一の誓約\n"  # never edited in place
    assert pledge_current(cast.insurer_a).pledge == second
    assert pledge_current(cast.insurer_b).pledge is None  # another insurer's versions are its own
    events = _created()
    assert [(e.actor, e.insurer, e.details["version"], e.details["default"]) for e in events] == [
        (cast.a_admin, cast.insurer_a, 1, False),
        (cast.a_admin, cast.insurer_a, 2, False),
    ]
    assert events[1].details["sha256"] == pledge_digest("第二の誓約\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  \n ", "誓約・同意事項の本文を入力してください。"),
        ("長" * 20_001, "誓約・同意事項は20000文字以内にしてください。"),
    ],
)
def test_an_empty_or_overlong_pledge_is_refused(cast: Cast, text: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text=text)

    assert refused.value.message_dict["text"] == [message]
    assert not Pledge.objects.exists()


def test_the_same_text_again_is_not_a_new_version(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="いまの誓約・同意事項と同じ内容です"):
        pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text=default_pledge_text(cast.insurer_a))
    pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="独自の誓約")
    with pytest.raises(ValidationError, match="いまの誓約・同意事項と同じ内容です"):
        pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="独自の誓約\n\n")
    assert Pledge.objects.count() == 1


def test_accepting_the_default_saves_it_once_as_version_1(cast: Cast) -> None:
    digest = pledge_current(cast.insurer_a).digest

    first = pledge_for_acceptance(actor=cast.office_a_admin, insurer=cast.insurer_a, digest=digest)
    again = pledge_for_acceptance(actor=cast.office_a_admin, insurer=cast.insurer_a, digest=digest)

    assert first == again
    assert (first.version, first.created_by, first.text) == (1, None, default_pledge_text(cast.insurer_a))
    [event] = _created()
    assert (event.actor, event.insurer, event.details["default"]) == (cast.office_a_admin, cast.insurer_a, True)
    # The admin's next version follows it.
    assert pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="改訂版").version == 2


def test_a_text_other_than_the_one_shown_cannot_be_accepted(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        pledge_for_acceptance(actor=cast.office_a_admin, insurer=cast.insurer_a, digest=pledge_digest("別の文面"))

    assert refused.value.code == "pledge_changed"
    assert not Pledge.objects.exists()


def test_the_admin_page_shows_the_default_and_saves_a_new_version(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)
    page = client.get(URL).content.decode()
    assert "サービス標準の文面を使っています" in page
    assert "熊本市「介護認定 進捗照会サービス」の利用にあたっての誓約・同意事項" in page

    response = client.post(URL, {"text": "熊本市の誓約・同意事項\n1. 業務にのみ使います。"}, follow=True)

    page = response.content.decode()
    assert "誓約・同意事項の第1版を保存しました。" in page
    assert "いまの版: 第1版" in page
    assert "a-admin" in page  # who wrote it, in the list of versions
    assert Pledge.objects.get(insurer=cast.insurer_a).created_by == cast.a_admin


def test_the_admin_page_refuses_an_unchanged_text_with_a_message(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_admin).post(URL, {"text": default_pledge_text(cast.insurer_a)})

    assert "いまの誓約・同意事項と同じ内容です。変更してから保存してください。" in response.content.decode()
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("persona", ["a_staff", "a_auditor", "office_a_admin", "platform_admin"])
def test_only_insurer_admins_write_the_pledge(cast: Cast, sign_in: SignIn, persona: str) -> None:
    client = sign_in(getattr(cast, persona))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"text": "乗っ取り"}).status_code == 403
    assert not Pledge.objects.exists()


def test_the_page_lists_the_versions_with_their_acceptances(cast: Cast, sign_in: SignIn) -> None:
    pledge_create(actor=cast.b_admin, insurer=cast.insurer_b, text="横浜市の誓約")
    pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="熊本市の誓約 第1版")
    office_register(
        number=NUMBER,
        name="ひかり居宅介護支援事業所",
        kind=OfficeKind.HOME_CARE_SUPPORT,
        phone="096-123-4567",
        contact_name="山田 花子",
        applicant_name="中村 一郎",
        applicant_email="hikari-admin@test.example",
        applications=[Application(cast.insurer_a, pledge_current(cast.insurer_a).digest)],
        proof=upload(),
    )
    pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="熊本市の誓約 第2版")

    response = sign_in(cast.a_admin).get(reverse("insurers:pledge"))

    assert [(p.version, p.accepted) for p in response.context["versions"]] == [(2, 0), (1, 1)]
    page = response.content.decode()
    assert "いまの版: 第2版" in page
    assert "横浜市の誓約" not in page
