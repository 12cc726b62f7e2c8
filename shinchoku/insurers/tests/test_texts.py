"""Per-insurer wording of the e-mails to offices (issue 5 item 7): the rules a wording must meet,
plain substitution that no text can turn into template code, the edit pages, the audit, and the
e-mails that use it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.insurers import texts
from shinchoku.insurers.models import MailText
from shinchoku.insurers.services import mail_text_reset, mail_text_save
from shinchoku.insurers.texts import MailKind, check, fill, message_for, render, wording_for
from shinchoku.offices.models import ApprovalStatus
from shinchoku.offices.services import approval_set_status
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
OnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
Outbox = list[mail.EmailMessage]

BODY = "{事業所名} 管理者 様\n\n{保険者名}です。結果: {状態}\n理由: {理由}\n\n{URL}\n"
VALUES = {
    "事業所名": "みどり居宅介護支援事業所",
    "事業所番号": "4370100010",
    "保険者名": "熊本市",
    "状態": "差戻し",
    "理由": "写しが不鮮明",
    "URL": "https://shinchoku.example.jp/",
    "サービス名": "介護認定 進捗照会サービス",
}


def _edit_url(kind: MailKind = MailKind.DECISION_RETURN) -> str:
    return reverse("insurers:mail_text_edit", kwargs={"kind": kind.value})


def _errors(kind: MailKind, subject: str, body: str) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        check(kind, subject, body)
    return refused.value.message_dict


# -- the rules ---------------------------------------------------------------------------------


def test_every_default_wording_meets_its_own_rules() -> None:
    for kind in MailKind:
        subject, body = texts.default_wording(kind)
        check(kind, subject, body)
        assert "{URL}" in body
        assert "被保険者番号などの個人情報は含まれていません" in body


def test_an_unknown_placeholder_is_refused_naming_it_and_the_allowed_ones() -> None:
    errors = _errors(MailKind.DECISION_RETURN, "{保険者名}から", BODY.replace("{状態}", "{被保険者番号}"))

    [message] = errors["body"]
    assert "「{被保険者番号}」は、このメールでは使えない差し込み項目です。" in message
    assert "使えるのは {事業所名}、{事業所番号}、{保険者名}、{URL}、{サービス名}、{状態}、{理由} です。" in message


def test_the_applicant_name_belongs_to_the_receipt_only() -> None:
    check(MailKind.APPLICATION_RECEIVED, "受付", "{申請者名} 様\n{URL}")
    assert "「{申請者名}」" in _errors(MailKind.DECISION_APPROVE, "結果", "{申請者名} 様\n{URL}")["body"][0]


@pytest.mark.parametrize(
    ("kind", "body", "missing"),
    [
        (MailKind.DECISION_APPROVE, "承認しました。", "{URL}"),
        (MailKind.DECISION_RETURN, "差し戻しました。\n{URL}", "{理由}"),
        (MailKind.DECISION_REVOKE, "取り消しました。", "{URL}、{理由}"),
        (MailKind.APPLICATION_RECEIVED, "受け付けました。", "{URL}"),
    ],
)
def test_a_required_placeholder_must_be_in_the_body(kind: MailKind, body: str, missing: str) -> None:
    assert _errors(kind, "件名", body)["body"] == [
        f"本文に {missing} を入れてください(このメールに欠かせない項目です)。"
    ]


def test_a_required_placeholder_in_the_subject_only_does_not_count() -> None:
    assert "body" in _errors(MailKind.DECISION_APPROVE, "{URL}", "承認しました。")


@pytest.mark.parametrize(
    "text",
    [
        "{{ settings.SECRET_KEY }}",
        "{% load log %}{% get_admin_log 10 as log %}{{ log }}",
        "{% debug %}",
        "{{ request.user.password }}",
        "{事業所名",
        "事業所名}",
        "{{事業所名}}",
    ],
)
def test_template_syntax_and_stray_braces_are_refused(text: str) -> None:
    errors = _errors(MailKind.DECISION_APPROVE, "件名", f"{text}\n{{URL}}")

    assert any("「{」と「}」は、差し込み項目" in e or "使えない差し込み項目" in e for e in errors["body"])


def test_full_width_braces_are_read_as_placeholders() -> None:
    assert texts.normalise("｛事業所名｝ 様\r\n｛URL｝") == "{事業所名} 様\n{URL}"


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("", "件名を入力してください。"),
        ("一行目\n二行目", "件名は1行にしてください。"),
        ("長" * 201, "件名は200文字以内にしてください。"),
    ],
)
def test_a_subject_must_be_one_line_of_at_most_200_characters(subject: str, message: str) -> None:
    assert message in _errors(MailKind.DECISION_APPROVE, subject, "{URL}")["subject"]


def test_a_body_may_not_exceed_5000_characters() -> None:
    assert (
        "本文は5000文字以内にしてください。"
        in _errors(MailKind.DECISION_APPROVE, "件名", "{URL}" + "あ" * 5000)["body"]
    )


# -- filling in --------------------------------------------------------------------------------


def test_placeholders_are_filled_in_one_pass_and_values_are_never_expanded() -> None:
    values = {**VALUES, "事業所名": "{URL}{{ settings.SECRET_KEY }}{% debug %}"}

    filled = fill(BODY, values)

    assert filled.startswith("{URL}{{ settings.SECRET_KEY }}{% debug %} 管理者 様\n")
    assert filled.count("https://shinchoku.example.jp/") == 1


def test_a_line_whose_value_is_empty_is_left_out() -> None:
    filled = fill(BODY, {**VALUES, "理由": "  "})

    assert "理由:" not in filled
    assert "結果: 差戻し\n\nhttps://" in filled


def test_rendering_needs_exactly_the_kinds_values() -> None:
    wording = texts.Wording(MailKind.DECISION_RETURN, "件名", BODY, None)
    with pytest.raises(ValueError, match="expected"):
        render(wording, {k: v for k, v in VALUES.items() if k != "理由"})


def test_the_subject_becomes_one_line_whatever_a_value_holds() -> None:
    wording = texts.Wording(MailKind.DECISION_RETURN, "{保険者名}: {理由}", BODY, None)

    subject, _ = render(wording, {**VALUES, "理由": "一行目\r\nBcc: victim@example.com"})

    assert subject == "熊本市: 一行目 Bcc: victim@example.com"


def test_a_saved_wording_that_no_longer_meets_the_rules_falls_back_to_the_default(cast: Cast) -> None:
    MailText.objects.create(
        insurer=cast.insurer_a,
        kind=MailKind.DECISION_APPROVE,
        subject="{{ settings.SECRET_KEY }}",
        body="no url",
        updated_by=cast.a_admin,
        updated_at="2026-01-01T00:00:00Z",
    )

    wording = wording_for(cast.insurer_a, MailKind.DECISION_APPROVE)

    assert wording.custom is None
    assert (wording.subject, wording.body) == texts.default_wording(MailKind.DECISION_APPROVE)


def test_a_message_carries_the_prefix_and_the_sender(cast: Cast) -> None:
    message = message_for(
        cast.insurer_a,
        MailKind.DECISION_APPROVE,
        {k: v for k, v in VALUES.items() if k != "サービス名"},
        ["office@test.example"],
    )

    assert message.subject == "[介護認定 進捗照会] 熊本市の利用審査の結果のお知らせ"
    assert message.to == ["office@test.example"]
    assert "「介護認定 進捗照会サービス」の利用について" in str(message.body)


# -- saving and the audit ----------------------------------------------------------------------


def test_saving_a_wording_versions_it_and_audits_the_whole_text(cast: Cast) -> None:
    first = mail_text_save(
        actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_RETURN, subject="差戻しのお知らせ", body=BODY
    )
    second = mail_text_save(
        actor=cast.a_admin,
        insurer=cast.insurer_a,
        kind=MailKind.DECISION_RETURN,
        subject="｛保険者名｝からの差戻しのお知らせ",
        body=BODY,
    )

    assert first is not None and second is not None
    assert (second.pk, second.version, second.subject) == (first.pk, 2, "{保険者名}からの差戻しのお知らせ")
    events = list(AuditEvent.objects.filter(event_type=EventType.INSURERS_MAIL_TEXT_CHANGED).order_by("pk"))
    assert [e.details["version"] for e in events] == [1, 2]
    assert events[1].details == {
        "kind": "decision_return",
        "version": 2,
        "subject": "{保険者名}からの差戻しのお知らせ",
        "body": BODY,
    }
    assert (events[1].actor, events[1].insurer) == (cast.a_admin, cast.insurer_a)


def test_saving_the_wording_in_use_changes_nothing(cast: Cast) -> None:
    subject, body = texts.default_wording(MailKind.DECISION_APPROVE)

    assert (
        mail_text_save(
            actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_APPROVE, subject=subject, body=body
        )
        is None
    )
    assert not MailText.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.INSURERS_MAIL_TEXT_CHANGED).exists()


def test_a_refused_wording_saves_nothing(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        mail_text_save(
            actor=cast.a_admin,
            insurer=cast.insurer_a,
            kind=MailKind.DECISION_APPROVE,
            subject="件名",
            body="{{ settings.SECRET_KEY }}",
        )
    assert not MailText.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.INSURERS_MAIL_TEXT_CHANGED).exists()


def test_going_back_to_the_default_is_audited(cast: Cast) -> None:
    mail_text_save(actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_RETURN, subject="件名", body=BODY)

    assert mail_text_reset(actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_RETURN)
    assert not mail_text_reset(actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_RETURN)

    assert wording_for(cast.insurer_a, MailKind.DECISION_RETURN).custom is None
    last = AuditEvent.objects.filter(event_type=EventType.INSURERS_MAIL_TEXT_CHANGED).latest("pk")
    assert last.details == {"kind": "decision_return", "reset_to_default": True, "replaced_version": 1}


def test_one_insurers_wording_is_not_anothers(cast: Cast) -> None:
    mail_text_save(
        actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_RETURN, subject="熊本市の件名", body=BODY
    )

    assert wording_for(cast.insurer_b, MailKind.DECISION_RETURN).custom is None


# -- the pages ---------------------------------------------------------------------------------


def test_the_list_shows_each_kind_and_whether_it_is_the_insurers_own(cast: Cast, sign_in: SignIn) -> None:
    mail_text_save(actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_RETURN, subject="件名", body=BODY)

    page = sign_in(cast.a_admin).get(reverse("insurers:mail_texts")).content.decode()

    for kind in MailKind:
        assert f'href="{_edit_url(kind)}"' in page
    assert "保険者の文面(第1版" in page
    assert page.count("<td>標準の文面</td>") == len(MailKind) - 1


def test_the_edit_page_documents_the_placeholders_and_shows_a_sample(cast: Cast, sign_in: SignIn) -> None:
    page = sign_in(cast.a_admin).get(_edit_url()).content.decode()

    for name in ("事業所名", "保険者名", "状態", "理由", "URL"):
        assert f"<code>{{{name}}}</code>" in page
    assert "値が空の項目" in page
    assert "[介護認定 進捗照会] 熊本市の利用審査の結果のお知らせ" in page  # the sample subject, as sent
    assert "理由: 指定通知書の写しが不鮮明なため" in page  # the sample body, filled in


def test_the_admin_saves_a_wording_and_sees_it_in_use(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    response = client.post(_edit_url(), {"subject": "【熊本市】差戻しのお知らせ", "body": BODY}, follow=True)

    page = response.content.decode()
    assert "「審査の結果: 差戻し」のメールの文面を保存しました(第1版)。" in page
    assert "いまは保険者の文面(第1版" in page
    assert MailText.objects.get(insurer=cast.insurer_a).subject == "【熊本市】差戻しのお知らせ"


def test_a_template_injection_attempt_is_refused_on_the_page(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_admin).post(
        _edit_url(), {"subject": "{{ settings.SECRET_KEY }}", "body": "{% debug %}{{ request }}\n{URL}\n{理由}"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "「{」と「}」は、差し込み項目({事業所名} など)を囲むときだけ使えます" in page
    assert not MailText.objects.exists()


def test_a_missing_url_is_refused_on_the_page(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_admin).post(_edit_url(), {"subject": "件名", "body": "理由: {理由}"})

    assert "本文に {URL} を入れてください" in response.content.decode()


def test_the_reset_button_goes_back_to_the_default(cast: Cast, sign_in: SignIn) -> None:
    mail_text_save(actor=cast.a_admin, insurer=cast.insurer_a, kind=MailKind.DECISION_RETURN, subject="件名", body=BODY)
    client = sign_in(cast.a_admin)

    response = client.post(reverse("insurers:mail_text_reset", kwargs={"kind": "decision_return"}), follow=True)

    assert "標準の文面に戻しました" in response.content.decode()
    assert not MailText.objects.exists()


def test_an_unknown_kind_is_not_found(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    assert client.get(reverse("insurers:mail_text_edit", kwargs={"kind": "password_reset"})).status_code == 404
    assert client.post(reverse("insurers:mail_text_reset", kwargs={"kind": "nope"})).status_code == 404


@pytest.mark.parametrize("persona", ["a_staff", "a_auditor", "office_a_admin", "platform_admin"])
def test_only_insurer_admins_edit_wordings(cast: Cast, sign_in: SignIn, persona: str) -> None:
    client = sign_in(getattr(cast, persona))

    assert client.get(_edit_url()).status_code == 403
    assert client.post(_edit_url(), {"subject": "件名", "body": BODY}).status_code == 403
    assert not MailText.objects.exists()


def test_the_settings_page_links_the_pledge_and_the_wordings(cast: Cast, sign_in: SignIn) -> None:
    page = sign_in(cast.a_admin).get(reverse("insurers:settings")).content.decode()

    assert f'href="{reverse("insurers:pledge")}"' in page
    assert f'href="{reverse("insurers:mail_texts")}"' in page


# -- the e-mails use it ------------------------------------------------------------------------


def test_a_decision_e_mail_uses_the_insurers_wording(
    cast: Cast, sign_in: SignIn, mailoutbox: Outbox, django_capture_on_commit_callbacks: OnCommit
) -> None:
    mail_text_save(
        actor=cast.a_admin,
        insurer=cast.insurer_a,
        kind=MailKind.DECISION_SUSPEND,
        subject="【重要】{保険者名}からのお知らせ({状態})",
        body="{事業所名}({事業所番号}) 様\n停止の理由: {理由}\n{URL}\n{サービス名}",
    )
    approval_set_status(actor=None, insurer=cast.insurer_a, office=cast.office_a, status=ApprovalStatus.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        sign_in(cast.a_admin).post(
            reverse("offices:approval_decide", kwargs={"approval_id": cast.approval_a.pk}),
            {"action": "suspend", "reason": "{URL} を含む理由 {{ x }}"},
        )

    [message] = mailoutbox
    assert message.subject == "[介護認定 進捗照会] 【重要】熊本市からのお知らせ(利用停止)"
    assert message.body == (
        "みどり居宅介護支援事業所(4370100010) 様\n停止の理由: {URL} を含む理由 {{ x }}\n"
        "http://127.0.0.1:8000/\n介護認定 進捗照会サービス\n"
    )
