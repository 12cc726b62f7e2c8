"""The public registration form (issue 5 item 1): an office applies to one or more insurers with
its proof of designation and each insurer's pledge; the applicant becomes the office's admin.

Every refusal says what and where in Japanese and writes nothing; the whole registration is one
transaction; the form tells nobody which e-mail addresses have accounts; and one client network
can only submit so often (DESIGN T3, T4; docs/onboarding.md section 4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import DatabaseError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.roles import Role
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.forms import size_label
from shinchoku.insurers.models import Insurer, Pledge
from shinchoku.insurers.selectors import pledge_current
from shinchoku.insurers.services import (
    insurer_create,
    insurer_update,
    mail_text_save,
    pledge_create,
    pledge_for_acceptance,
)
from shinchoku.insurers.texts import MailKind
from shinchoku.lib.crypto import sha256_hex
from shinchoku.offices import proofs
from shinchoku.offices.models import (
    ApprovalStatus,
    CareOffice,
    DesignationProof,
    OfficeApproval,
    PledgeAcceptance,
    RegistrationAttempt,
)
from tests.documents import html_page, jpeg, pdf, png, windows_executable
from tests.personas import Cast
from tests.registration import (
    APPLICANT_EMAIL,
    NUMBER,
    NUMBER_BAD_CHECK_DIGIT,
    OFFICE_NAME,
    application_data,
    proof_file,
)

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
Outbox = list[mail.EmailMessage]
URL = "/register/"
DONE = "/register/done/"

WRITTEN = (CareOffice, User, OfficeApproval, DesignationProof, PledgeAcceptance, Pledge, Invitation, AuditEvent)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def _events(*types: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type__in=types).order_by("pk"))


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks: OnCommit) -> Callable[..., Any]:
    """POSTs the form as a browser would, running what waits for the commit (the e-mails)."""

    def _post(data: dict[str, Any], **extra: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, data, **extra)

    return _post


def _page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


# -- the page ----------------------------------------------------------------------------------


def test_the_page_needs_no_login_and_offers_the_active_insurers_with_their_pledges(client: Client, cast: Cast) -> None:
    insurer_create(actor=None, number="262013", name="京都市")
    gone = insurer_create(actor=None, number="011002", name="札幌市")
    insurer_update(actor=None, insurer=gone, name=gone.name, is_active=False)

    page = _page(client.get(URL))

    assert "事業所の利用申請" in page
    for name in ("熊本市", "横浜市", "京都市"):
        assert f"{name}に利用を申請する" in page
        assert f"{name}の誓約・同意事項に同意する" in page
    assert "札幌市" not in page
    # Each insurer's pledge in full, and the digest of exactly that text.
    assert "熊本市「介護認定 進捗照会サービス」の利用にあたっての誓約・同意事項" in page
    assert "ID、パスワード、二要素認証の端末、リカバリーコードを他人と共有したり" in page
    assert f'value="{pledge_current(cast.insurer_a).digest}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "csrfmiddlewaretoken" in page


def test_the_kinds_offered_are_those_that_prepare_care_plans_and_the_page_says_who_cannot_register(
    client: Client, cast: Cast
) -> None:
    page = _page(client.get(URL))

    for label in ("居宅介護支援事業所", "地域包括支援センター", "介護保険施設", "小規模多機能型居宅介護事業所"):
        assert f">{label}</option>" in page
    assert "病院・診療所や個人の方は申請できません" in page
    assert "hospital" not in page
    assert "individual" not in page


def test_the_login_page_links_to_the_registration(client: Client) -> None:
    page = _page(client.get(reverse("account_login")))

    assert f'<a href="{URL}">事業所の利用申請はこちら</a>' in page


# -- a registration ----------------------------------------------------------------------------


def test_a_valid_registration_creates_the_office_its_admin_applications_proof_and_acceptances(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    data = application_data(cast.insurer_a, cast.insurer_b)
    response = post(data)

    assert response.status_code == 302
    assert response["Location"] == DONE
    office = CareOffice.objects.get(number=NUMBER)
    assert (office.name, office.kind, office.phone, office.contact_name) == (
        OFFICE_NAME,
        "home_care_support",
        "096-123-4567",
        "山田 花子",
    )
    admin = User.objects.get(email=APPLICANT_EMAIL)
    assert (admin.role, admin.office, admin.display_name, admin.is_active) == (
        Role.OFFICE_ADMIN,
        office,
        "中村 一郎",
        True,
    )
    assert not admin.has_usable_password()  # set through the invitation, never typed on this form
    approvals = list(OfficeApproval.objects.filter(office=office).order_by("insurer__number"))
    assert [(a.insurer, a.status) for a in approvals] == [
        (cast.insurer_b, ApprovalStatus.PENDING),
        (cast.insurer_a, ApprovalStatus.PENDING),
    ]
    [proof] = DesignationProof.objects.filter(office=office)
    assert all(a.proof == proof for a in approvals)
    assert (proof.content_type, proof.size, proof.sha256, proof.file_name, proof.uploaded_by) == (
        "application/pdf",
        len(pdf()),
        sha256_hex(pdf()),
        "指定通知書.pdf",
        admin,
    )
    assert proofs.open_proof(proof) == pdf()
    acceptances = list(PledgeAcceptance.objects.filter(office=office).order_by("pledge__insurer__number"))
    assert [(a.pledge.insurer, a.pledge.version, a.user, a.ip, a.approval) for a in acceptances] == [
        (cast.insurer_b, 1, admin, "127.0.0.1", approvals[0]),
        (cast.insurer_a, 1, admin, "127.0.0.1", approvals[1]),
    ]
    # Neither insurer had written a pledge: the default text accepted is kept as version 1.
    assert acceptances[1].pledge.text.startswith("熊本市「介護認定 進捗照会サービス」の利用にあたっての誓約・同意事項")
    assert acceptances[1].pledge.created_by is None


def test_a_registration_is_audited_in_each_insurers_trail(cast: Cast, post: Callable[..., Any]) -> None:
    post(application_data(cast.insurer_a, cast.insurer_b))

    office = CareOffice.objects.get(number=NUMBER)
    admin = User.objects.get(email=APPLICANT_EMAIL)
    [created] = _events(EventType.OFFICES_OFFICE_CREATED)[-1:]
    assert created.office == office
    assert created.details == {"number": NUMBER, "check_digit_warning": False}
    [user_created] = [e for e in _events(EventType.ACCOUNTS_USER_CREATED) if e.target_id == str(admin.pk)]
    assert user_created.details == {"role": "office_admin"}
    submitted = _events(EventType.OFFICES_APPLICATION_SUBMITTED)
    assert [(e.insurer, e.office, e.actor) for e in submitted] == [
        (cast.insurer_b, office, admin),
        (cast.insurer_a, office, admin),
    ]
    assert submitted[0].details == {
        "number": NUMBER,
        "proof_type": "application/pdf",
        "proof_size": len(pdf()),
        "proof_sha256": sha256_hex(pdf()),
    }
    assert submitted[0].ip == "127.0.0.1"
    accepted = _events(EventType.OFFICES_PLEDGE_ACCEPTED)
    assert [(e.insurer, e.details["pledge_version"]) for e in accepted] == [(cast.insurer_b, 1), (cast.insurer_a, 1)]
    pledges = _events(EventType.INSURERS_PLEDGE_CREATED)
    assert [(e.insurer, e.details["default"], e.details["version"]) for e in pledges] == [
        (cast.insurer_b, True, 1),
        (cast.insurer_a, True, 1),
    ]


def test_the_applicant_gets_one_receipt_per_insurer_in_that_insurers_wording(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    mail_text_save(
        actor=cast.b_admin,
        insurer=cast.insurer_b,
        kind=MailKind.APPLICATION_RECEIVED,
        subject="【横浜市】{事業所名}様の利用申請を受け付けました",
        body="{申請者名} 様\n\n横浜市健康福祉局です。審査には2週間ほどかかります。\n\n{URL}\n",
    )

    post(application_data(cast.insurer_a, cast.insurer_b))

    assert len(mailoutbox) == 3  # a receipt from each insurer, and the invitation
    received = [m for m in mailoutbox if "利用申請" in m.subject]
    assert [(m.to, m.subject) for m in received] == [
        ([APPLICANT_EMAIL], f"[介護認定 進捗照会] 【横浜市】{OFFICE_NAME}様の利用申請を受け付けました"),
        ([APPLICANT_EMAIL], "[介護認定 進捗照会] 熊本市への利用申請を受け付けました"),
    ]
    assert (
        received[0].body
        == "中村 一郎 様\n\n横浜市健康福祉局です。審査には2週間ほどかかります。\n\nhttp://127.0.0.1:8000/office/applications/\n"
    )
    body = str(received[1].body)
    assert "中村 一郎 様" in body
    assert f"事業所: {OFFICE_NAME}(介護保険事業所番号 {NUMBER})" in body
    assert "熊本市の介護保険担当課が、申請の内容と指定通知書を確認します。" in body
    assert "http://127.0.0.1:8000/office/applications/" in body


def test_the_applicant_is_invited_to_set_a_password_then_enrol_a_second_factor(
    cast: Cast, client: Client, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    post(application_data(cast.insurer_a))

    admin = User.objects.get(email=APPLICANT_EMAIL)
    [invitation] = Invitation.objects.filter(user=admin)
    assert invitation.created_by is None
    assert invitation.used_at is None
    [issued] = _events(EventType.ACCOUNTS_INVITATION_ISSUED)
    assert (issued.target_id, issued.office) == (str(admin.pk), admin.office)
    [invited] = [m for m in mailoutbox if "招待" in m.subject]
    assert invited.to == [APPLICANT_EMAIL]
    [link] = re.findall(r"http://127\.0\.0\.1:8000(/invitation/[^/\s]+/)", str(invited.body))
    assert "中村 一郎 様" in str(invited.body)
    # Nobody invited them: a lapsed link is re-sent by the insurer they applied to.
    assert "申請先の保険者(市区町村の介護保険担当課)に、もう一度送るよう依頼してください" in str(invited.body)
    assert "招待した方" not in str(invited.body)

    page = client.get(link)
    assert page.status_code == 200
    response = client.post(
        link,
        {"password1": "ひかりの窓から見える阿蘇の山なみ 2026", "password2": "ひかりの窓から見える阿蘇の山なみ 2026"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("web:enrol")
    admin.refresh_from_db()
    assert admin.check_password("ひかりの窓から見える阿蘇の山なみ 2026")
    # Before a second factor, the office admin's pages are closed.
    assert client.get("/office/applications/")["Location"] == reverse("web:enrol")


def test_an_insurer_admin_re_sends_the_invitation_of_an_applicant_whose_link_lapsed(
    cast: Cast,
    client: Client,
    post: Callable[..., Any],
    mailoutbox: Outbox,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    post(application_data(cast.insurer_a))
    approval = OfficeApproval.objects.get(office__number=NUMBER)
    first = Invitation.objects.get(user__email=APPLICANT_EMAIL)
    detail = reverse("offices:approval_detail", kwargs={"approval_id": approval.pk})
    reinvite = reverse("offices:approval_reinvite", kwargs={"approval_id": approval.pk})
    client.force_login(cast.a_admin)
    page = _page(client.get(detail))
    assert f"中村 一郎({APPLICANT_EMAIL})" in page
    assert "パスワード未設定" in page
    assert "案内のリンクは" in page and "まで有効です。" in page
    Invitation.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "案内のリンクは期限切れです。" in _page(client.get(detail))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reinvite, follow=True)

    assert "中村 一郎 さんに、パスワード設定の案内を送り直しました。" in response.content.decode()
    second = Invitation.objects.filter(user__email=APPLICANT_EMAIL).exclude(pk=first.pk).get()
    assert second.created_by == cast.a_admin
    assert not Invitation.objects.get(pk=first.pk).is_open_at(timezone.now())
    assert second.is_open_at(timezone.now())
    [message] = mailoutbox
    assert message.to == [APPLICANT_EMAIL]
    # Another insurer's admin finds no such application.
    client.force_login(cast.b_admin)
    assert client.post(reinvite).status_code == 404


def test_there_is_nobody_to_re_invite_once_the_admin_has_a_password(cast: Cast, client: Client) -> None:
    client.force_login(cast.a_admin)
    detail = reverse("offices:approval_detail", kwargs={"approval_id": cast.approval_a.pk})
    assert "パスワード設定の案内を送り直す" not in _page(client.get(detail))

    response = client.post(
        reverse("offices:approval_reinvite", kwargs={"approval_id": cast.approval_a.pk}), follow=True
    )

    assert "この事業所には、パスワードを設定していない管理者はいません。" in response.content.decode()
    assert not Invitation.objects.filter(user=cast.office_a_admin).exists()


def test_the_confirmation_page_says_what_happens_next(cast: Cast, client: Client, post: Callable[..., Any]) -> None:
    response = post(application_data(cast.insurer_a, cast.insurer_b))

    page = _page(client.get(response["Location"]))
    assert "利用申請を受け付けました" in page
    assert OFFICE_NAME in page
    assert "横浜市、熊本市" in page
    assert f"{APPLICANT_EMAIL} あてに、パスワードを設定するためのリンクをお送りしました" in page
    for step in ("メールを確認する", "パスワードを設定する", "二要素認証を設定する", "保険者の審査を待つ"):
        assert step in page


def test_the_confirmation_page_without_a_registration_goes_back_to_the_form(client: Client) -> None:
    response = client.get(DONE)

    assert response.status_code == 302
    assert response["Location"] == URL


def test_a_full_width_number_and_address_are_normalised(cast: Cast, post: Callable[..., Any]) -> None:
    post(
        application_data(
            cast.insurer_a,
            number="４３７０１０００５１",
            applicant_email=" Hikari-Admin@Test.Example ",
            phone="０９６（１２３）４５６７",
        )
    )

    office = CareOffice.objects.get(number=NUMBER)
    assert office.phone == "096(123)4567"
    assert User.objects.filter(email=APPLICANT_EMAIL, office=office).exists()


def test_an_insurers_latest_pledge_is_the_one_accepted(cast: Cast, post: Callable[..., Any]) -> None:
    pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="第1版の誓約")
    second = pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="第2版の誓約\n利用は業務に限ります。")

    post(application_data(cast.insurer_a))

    [acceptance] = PledgeAcceptance.objects.filter(office__number=NUMBER)
    assert acceptance.pledge == second
    assert acceptance.pledge.version == 2


# -- refusals: nothing written -----------------------------------------------------------------


def _refused(post: Callable[..., Any], data: dict[str, Any], mailoutbox: Outbox) -> str:
    before = _counts()
    response = post(data)
    page = _page(response)
    assert "入力内容を確認してください。" in page
    assert _counts() == before
    assert mailoutbox == []
    return page


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", "介護保険事業所番号を入力してください。"),
        ("437010005", "介護保険事業所番号は10桁で入力してください"),
        ("43O0100051", "介護保険事業所番号は10桁で入力してください"),  # the letter O, not zero
        ("4370-100051", "介護保険事業所番号は10桁で入力してください"),
    ],
)
def test_a_malformed_number_is_refused(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox, number: str, message: str
) -> None:
    page = _refused(post, application_data(cast.insurer_a, number=number), mailoutbox)

    assert message in page
    assert 'aria-invalid="true"' in page


def test_a_check_digit_mismatch_must_be_confirmed_before_the_office_is_registered(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    page = _refused(post, application_data(cast.insurer_a, number=NUMBER_BAD_CHECK_DIGIT), mailoutbox)
    assert "介護保険事業所番号の検査数字が一致しません。番号をご確認ください。" in page
    assert f'name="number_confirmed" value="{NUMBER_BAD_CHECK_DIGIT}"' in page
    assert "この番号で申請する" in page

    # Confirming another number does not confirm this one.
    _refused(post, application_data(cast.insurer_a, number=NUMBER_BAD_CHECK_DIGIT, number_confirmed=NUMBER), mailoutbox)

    response = post(
        application_data(cast.insurer_a, number=NUMBER_BAD_CHECK_DIGIT, number_confirmed=NUMBER_BAD_CHECK_DIGIT)
    )
    assert response.status_code == 302
    office = CareOffice.objects.get(number=NUMBER_BAD_CHECK_DIGIT)
    [created] = [e for e in _events(EventType.OFFICES_OFFICE_CREATED) if e.office == office]
    assert created.details["check_digit_warning"] is True


def test_a_number_already_registered_is_refused_with_the_way_to_apply_to_more_insurers(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    page = _refused(post, application_data(cast.insurer_b, number=cast.office_a.number), mailoutbox)

    assert "この介護保険事業所番号の事業所は、すでにこのサービスに登録されています。" in page
    assert "貴事業所の管理者がログインして「利用申請」の画面から行えます" in page


@pytest.mark.parametrize("kind", ["hospital", "individual", "clinic", ""])
def test_a_kind_outside_the_list_is_refused(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox, kind: str
) -> None:
    page = _refused(post, application_data(cast.insurer_a, kind=kind), mailoutbox)

    assert ("事業所の種別は一覧から選んでください" if kind else "事業所の種別を選んでください。") in page


def test_no_insurer_is_refused(cast: Cast, post: Callable[..., Any], mailoutbox: Outbox) -> None:
    page = _refused(post, application_data(), mailoutbox)

    assert "申請先の保険者を1つ以上選んでください。" in page


def test_an_unaccepted_pledge_is_refused_naming_the_insurer(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    data = application_data(cast.insurer_a, cast.insurer_b)
    del data[f"pledge_{cast.insurer_b.pk}"]

    page = _refused(post, data, mailoutbox)

    assert "横浜市に申請するには、誓約・同意事項を読んで「同意する」にチェックを入れてください。" in page
    assert "熊本市に申請するには" not in page


def test_a_pledge_changed_since_the_page_was_shown_must_be_read_again(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    data = application_data(cast.insurer_a)  # the digest of the default text
    pledge_create(actor=cast.a_admin, insurer=cast.insurer_a, text="改めた誓約・同意事項")

    page = _refused(post, data, mailoutbox)

    assert "熊本市の誓約・同意事項が改められました。新しい内容を読んで、もう一度同意してください。" in page
    assert "改めた誓約・同意事項" in page
    assert f'value="{pledge_current(cast.insurer_a).digest}"' in page
    assert f'name="pledge_{cast.insurer_a.pk}" id="id_pledge_{cast.insurer_a.pk}" checked' not in page


def test_a_forged_or_inactive_insurer_is_refused(cast: Cast, post: Callable[..., Any], mailoutbox: Outbox) -> None:
    gone = insurer_create(actor=None, number="011002", name="札幌市")
    insurer_update(actor=None, insurer=gone, name=gone.name, is_active=False)
    missing = Insurer.objects.order_by("-pk").values_list("pk", flat=True)[0] + 100

    for forged in (str(missing), str(gone.pk), "熊本市", "1 OR 1=1"):
        data = application_data(cast.insurer_a, insurers=[str(cast.insurer_a.pk), forged])
        page = _refused(post, data, mailoutbox)
        assert "選べない保険者が指定されました。画面を読み込み直して、一覧から選んでください。" in page


@pytest.mark.parametrize(
    "case",
    [
        ("name", "", "事業所名を入力してください。"),
        ("name", "x" * 101, "事業所名は100文字以内で入力してください。"),
        ("name", "安くて便利 https://spam.example/", "事業所名にURLは入力できません。"),
        ("applicant_name", "www.example.jp", "氏名にURLは入力できません。"),
        ("contact_name", "", "担当者名を入力してください。"),
        ("phone", "12345", "電話番号は、市外局番から10桁または11桁の数字で入力してください"),
        ("phone", "096-123-abcd", "電話番号は、市外局番から10桁または11桁の数字で入力してください"),
        ("applicant_email", "not-an-address", "メールアドレスの形式が正しくありません"),
        ("applicant_name", "", "申請する方の氏名を入力してください。"),
    ],
)
def test_bad_office_or_applicant_details_are_refused(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox, case: tuple[str, str, str]
) -> None:
    field, value, message = case
    page = _refused(post, application_data(cast.insurer_a, **{field: value}), mailoutbox)

    assert message in page


# -- the proof ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            proof_file(html_page(), "指定通知書.html", "text/html"),
            "「指定通知書.html」はPDF、PNG、JPEGのどれでもありません。",
        ),
        (
            proof_file(windows_executable(), "指定通知書.pdf", "application/pdf"),
            "「指定通知書.pdf」はPDF、PNG、JPEGのどれでもありません。",
        ),
        (proof_file(html_page(), "scan.png", "image/png"), "「scan.png」はPDF、PNG、JPEGのどれでもありません。"),
        (
            proof_file(b"\x89PNG\r\n\x1a\n" + html_page(), "scan.png", "image/png"),
            "「scan.png」はPNGとして読み取れません(壊れているか、途中で切れています)。",
        ),
        (proof_file(pdf()[:-100], "途中まで.pdf"), "「途中まで.pdf」はPDFとして読み取れません"),
        (proof_file(b"", "空.pdf"), "「空.pdf」は空のファイル(0バイト)です。"),
        (
            proof_file(pdf(extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")),
            "「指定通知書.pdf」には、開くと動くスクリプトや埋め込みファイルが含まれているため、受け付けられません。",
        ),
    ],
    ids=["html", "renamed-exe", "html-as-png", "png-then-html", "truncated-pdf", "empty", "pdf-javascript"],
)
def test_a_proof_that_is_not_a_clean_pdf_png_or_jpeg_is_refused_by_name(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox, upload: Any, message: str
) -> None:
    page = _refused(post, application_data(cast.insurer_a, proof=upload), mailoutbox)

    assert message in page
    assert 'id="id_proof_error"' in page


@override_settings(PROOF_MAX_BYTES=64 * 1024)
def test_a_proof_over_the_limit_is_refused_naming_its_size_and_the_limit(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    big = pdf(text="x" * (70 * 1024))

    page = _refused(post, application_data(cast.insurer_a, proof=proof_file(big, "大きな通知書.pdf")), mailoutbox)

    assert f"「大きな通知書.pdf」は大きすぎます({size_label(len(big))})。64KB以下のファイルにしてください。" in page
    assert size_label(len(big)) == "70.57KB"


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [(png(1654, 2339), "scan.png", "image/png"), (jpeg(2480, 3508), "写真.JPG", "image/jpeg")],
)
def test_images_are_accepted_and_the_type_comes_from_the_bytes(
    cast: Cast, post: Callable[..., Any], data: bytes, name: str, content_type: str
) -> None:
    # The browser's word is ignored: the type stored is what the bytes are.
    response = post(application_data(cast.insurer_a, proof=proof_file(data, name, "application/octet-stream")))

    assert response.status_code == 302
    proof = DesignationProof.objects.get(office__number=NUMBER)
    assert (proof.content_type, proof.file_name) == (content_type, name)


def test_the_file_name_loses_any_folders_and_control_characters(cast: Cast, post: Callable[..., Any]) -> None:
    post(application_data(cast.insurer_a, proof=proof_file(name="C:\\Users\\中村\\Desktop\\通知\x07書.pdf")))

    assert DesignationProof.objects.get(office__number=NUMBER).file_name == "通知書.pdf"


def test_a_refused_form_asks_for_the_file_again(cast: Cast, post: Callable[..., Any], mailoutbox: Outbox) -> None:
    page = _refused(post, application_data(cast.insurer_a, name=""), mailoutbox)

    assert "安全のため、送信したファイルは保存していません。送信し直す前に、もう一度ファイルを選んでください。" in page


# -- e-mail addresses that have an account -----------------------------------------------------


def test_an_address_with_an_account_gets_the_same_page_and_an_e_mail_and_nothing_is_made(
    cast: Cast, client: Client, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    before = _counts()
    taken = cast.office_b_cm.email.upper()

    response = post(application_data(cast.insurer_a, applicant_email=taken, name="お得な情報はこちら"))

    # The same answer as a registration made, so the form reveals no account.
    assert response.status_code == 302
    assert response["Location"] == DONE
    assert "利用申請を受け付けました" in _page(client.get(DONE))
    assert _counts() == before
    [notice] = mailoutbox
    assert notice.to == [cast.office_b_cm.email]
    assert notice.subject == "[介護認定 進捗照会] 事業所の利用申請について(受け付けていません)"
    body = str(notice.body)
    assert "すでにこのサービスのアカウントとして登録されているため、申請は受け付けていません" in body
    assert "お得な情報はこちら" not in body  # nothing the stranger typed reaches the address
    assert NUMBER not in body


# -- all or nothing ----------------------------------------------------------------------------


def test_a_failure_part_way_leaves_nothing_behind_and_sends_nothing(
    cast: Cast, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    real = pledge_for_acceptance
    calls: list[Insurer] = []

    def second_fails(**kwargs: Any) -> Pledge:
        calls.append(kwargs["insurer"])
        if len(calls) == 2:
            raise DatabaseError("disk full")
        return real(**kwargs)

    before = _counts()
    with (
        mock.patch("shinchoku.offices.services.pledge_for_acceptance", side_effect=second_fails),
        pytest.raises(DatabaseError),
    ):
        post(application_data(cast.insurer_a, cast.insurer_b))

    assert len(calls) == 2
    assert _counts() == before
    assert mailoutbox == []


def test_a_failed_audit_write_registers_nothing(cast: Cast, post: Callable[..., Any], mailoutbox: Outbox) -> None:
    before = _counts()
    with (
        mock.patch("shinchoku.offices.services.audit_record", side_effect=DatabaseError("audit unavailable")),
        pytest.raises(DatabaseError),
    ):
        post(application_data(cast.insurer_a))

    assert _counts() == before
    assert mailoutbox == []


# -- abuse -------------------------------------------------------------------------------------


def test_the_form_needs_a_csrf_token(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(URL, application_data(cast.insurer_a))

    assert response.status_code == 403
    assert not CareOffice.objects.filter(number=NUMBER).exists()


@override_settings(OFFICES_REGISTRATION_LIMITS=[(3600, 3), (24 * 3600, 5)])
def test_one_network_may_submit_only_so_often_whatever_it_submits(
    cast: Cast, client: Client, post: Callable[..., Any], mailoutbox: Outbox
) -> None:
    # Refused submissions count: each one costs an upload and a check.
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert post(application_data(cast.insurer_a, name="")).status_code == 200
        limited = post(application_data(cast.insurer_a))
        assert limited.status_code == 429
        assert "短い時間に多くの利用申請が送られたため" in limited.content.decode()
        assert not CareOffice.objects.filter(number=NUMBER).exists()

        # Another network is not held up.
        assert post(application_data(cast.insurer_a), REMOTE_ADDR="203.0.113.9").status_code == 302

        # An hour later the hourly window has room again, until the daily one is full.
        clock.shift(timedelta(hours=1, seconds=1))
        assert post(application_data(cast.insurer_a, name="")).status_code == 200
        assert post(application_data(cast.insurer_a, name="")).status_code == 429
        clock.shift(timedelta(hours=1, seconds=1))
        assert post(application_data(cast.insurer_a, name="")).status_code == 429

        # A day after the first ones, everything older than the longest window is forgotten.
        clock.shift(timedelta(hours=23))
        assert post(application_data(cast.insurer_a, name="")).status_code == 200
    assert RegistrationAttempt.objects.count() <= 5


@override_settings(OFFICES_REGISTRATION_LIMITS=[(3600, 2)])
def test_an_ipv6_client_is_counted_by_its_64_network_and_no_address_is_stored(
    cast: Cast, post: Callable[..., Any]
) -> None:
    for host in ("2001:db8:1:2::10", "2001:db8:1:2::11"):
        assert post(application_data(cast.insurer_a, name=""), REMOTE_ADDR=host).status_code == 200
    assert post(application_data(cast.insurer_a, name=""), REMOTE_ADDR="2001:db8:1:2:ffff::1").status_code == 429
    assert post(application_data(cast.insurer_a, name=""), REMOTE_ADDR="2001:db8:1:3::10").status_code == 200

    keys = set(RegistrationAttempt.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert not any("2001" in key for key in keys)


def test_the_default_limits_are_those_documented() -> None:
    from django.conf import settings  # noqa: PLC0415  # the module's own settings, not a test override

    assert settings.OFFICES_REGISTRATION_LIMITS == [(3600, 10), (24 * 3600, 30)]
    assert settings.PROOF_MAX_BYTES == 5 * 1024 * 1024
