"""The insurer staff's case pages: import, history, search, case page, erasure records.

Every page: it works for the roles that hold its permission, answers 403 to the others and 404
for another insurer's objects; the 被保険者番号 never appears in a URL, a redirect or a title,
and never in an audit event.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.identity import insured_index
from shinchoku.cases.importing.service import cases_import
from shinchoku.cases.models import Case, ErasureRecord, ImportRun
from shinchoku.insurers.models import Insurer
from shinchoku.lib.synthetic import SyntheticCase, generate_cases, write_csv
from tests.personas import Cast, signed_in_recently

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]

# ---------------------------------------------------------------------------------------------
# Helpers (also used by test_correction)
# ---------------------------------------------------------------------------------------------


def synthetic(insurer: Insurer, count: int = 50, seed: int = 7) -> list[SyntheticCase]:
    return list(generate_cases(insurer_number=insurer.number, count=count, as_of=timezone.localdate(), seed=seed))


def cp932_file(cases: Iterable[SyntheticCase]) -> bytes:
    out = io.BytesIO()
    write_csv(cases, out, encoding="cp932")
    return out.getvalue()


def rows_file(rows: list[dict[str, str]]) -> bytes:
    """A small CP932 file with the canonical headers of the keys used."""
    headers = list(dict.fromkeys(key for row in rows for key in row))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return text.getvalue().encode("cp932")


def import_as(user: User, data: bytes, *, file_name: str = "cases.csv") -> ImportRun:
    assert user.insurer_id is not None
    outcome = cases_import(
        actor=user,
        actor_label=user.email,
        insurer=Insurer.objects.get(pk=user.insurer_id),  # fresh: a test may have changed its settings
        data=data,
        file_name=file_name,
        channel=ImportRun.Channel.COMMAND,
    )
    assert outcome.ok, [str(p) for p in outcome.problems]
    return outcome.run


def case_of(insurer: Insurer, number: str) -> Case:
    return Case.objects.filter(insurer=insurer, insured_index=insured_index(insurer.number, number)).latest(
        "applied_on"
    )


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match is not None
    return match.group(1)


def upload(data: bytes, name: str = "cases.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("occurred_at", "pk"))


def no_number_in(number: str, *texts: str) -> bool:
    return all(number not in text for text in texts)


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def population(cast: Cast) -> list[SyntheticCase]:
    """Fifty cases of insurer A, imported by its staff member, and a few of insurer B."""
    cases = synthetic(cast.insurer_a)
    import_as(cast.a_staff, cp932_file(cases))
    import_as(cast.b_staff, cp932_file(synthetic(cast.insurer_b, count=5, seed=3)))
    return cases


# ---------------------------------------------------------------------------------------------
# Upload
# ---------------------------------------------------------------------------------------------

UPLOAD = reverse("cases:import_upload")


def test_staff_see_the_upload_form(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_staff).get(UPLOAD)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file"' in page
    assert 'accept=".csv,text/csv"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "検証のみ(取り込まない)" in page
    assert "50MB" in page


@pytest.mark.parametrize("persona", ["a_admin", "a_auditor", "a_operator", "office_a_cm", "platform_admin"])
def test_only_staff_may_upload(cast: Cast, sign_in: SignIn, persona: str) -> None:
    client = sign_in(getattr(cast, persona))

    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {"file": upload(b"x")}).status_code == 403
    assert not ImportRun.objects.exists()


def test_a_valid_cp932_upload_imports_and_shows_the_counts(cast: Cast, sign_in: SignIn) -> None:
    cases = synthetic(cast.insurer_a)
    client = sign_in(cast.a_staff)

    response = client.post(UPLOAD, {"file": upload(cp932_file(cases), "熊本市_認定.csv")})

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:import_detail", kwargs={"run_id": run.pk})
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.channel == ImportRun.Channel.UPLOAD
    assert run.actor == cast.a_staff
    assert run.actor_label == cast.a_staff.email
    assert run.file_name == "熊本市_認定.csv"
    assert run.encoding == "cp932"
    assert Case.objects.filter(insurer=cast.insurer_a).count() == run.created == 50
    page = client.get(response["Location"]).content.decode()
    assert "取込完了" in page
    assert "新規" in page
    assert ">50<" in page
    assert all(no_number_in(c.insured_number, page, response["Location"]) for c in cases)


def test_uploading_the_same_file_twice_changes_nothing(cast: Cast, sign_in: SignIn) -> None:
    data = cp932_file(synthetic(cast.insurer_a, count=20))
    client = sign_in(cast.a_staff)
    client.post(UPLOAD, {"file": upload(data)})

    client.post(UPLOAD, {"file": upload(data)})

    second = ImportRun.objects.latest("started_at")
    assert (second.created, second.updated, second.unchanged) == (0, 0, 20)


def test_a_dry_run_checks_the_file_and_imports_nothing(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_staff)

    response = client.post(UPLOAD, {"file": upload(cp932_file(synthetic(cast.insurer_a))), "dry_run": "on"})

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.DRY_RUN
    assert run.created == 50
    assert not Case.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "検証のみ行いました" in page


def test_an_invalid_file_shows_line_and_column_and_imports_nothing(cast: Cast, sign_in: SignIn) -> None:
    data = rows_file(
        [
            {"被保険者番号": "4310000001", "申請日": "R7.04.01", "申請区分": "新規"},
            {"被保険者番号": "43100000X2", "申請日": "R7.04.02", "申請区分": "新規"},
            {"被保険者番号": "4310000003", "申請日": "R7.13.40", "申請区分": "更新"},
        ]
    )
    client = sign_in(cast.a_staff)

    response = client.post(UPLOAD, {"file": upload(data)})

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.REJECTED
    assert run.error_count == 2
    assert not Case.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "誤りが2件あったため、何も取り込んでいません。" in page
    assert re.search(r'<td class="num">3</td><td>被保険者番号</td><td>4●+2</td>', page)
    assert re.search(r'<td class="num">4</td><td>申請日</td><td>R7.13.40</td>', page)
    assert "43100000X2" not in page  # masked


def test_problem_details_are_shown_to_the_uploading_session_only(cast: Cast, sign_in: SignIn) -> None:
    data = rows_file([{"被保険者番号": "123", "申請日": "R7.04.01", "申請区分": "新規"}])
    response = sign_in(cast.a_staff).post(UPLOAD, {"file": upload(data)})
    detail = response["Location"]

    later = signed_in_recently(cast.a_staff).get(detail).content.decode()
    colleague = signed_in_recently(cast.a_operator).get(detail).content.decode()

    assert "エラーの詳細はアップロード直後にのみ表示されます" in later
    assert "1●3" not in later
    assert "1●3" not in colleague
    assert "取込を行った職員の画面にのみ表示されます" in colleague


def test_only_the_last_uploads_problems_stay_in_the_session(cast: Cast, sign_in: SignIn) -> None:
    bad = rows_file([{"被保険者番号": "123", "申請日": "R7.04.01", "申請区分": "新規"}])
    client = sign_in(cast.a_staff)
    first = client.post(UPLOAD, {"file": upload(bad)})["Location"]
    client.post(UPLOAD, {"file": upload(bad)})

    assert "エラーの詳細はアップロード直後にのみ表示されます" in client.get(first).content.decode()
    assert sum(key.startswith("cases:import_problems:") for key in client.session.keys()) == 1  # noqa: SIM118


def test_a_file_that_is_not_csv_text_is_rejected_as_a_whole(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_staff)

    response = client.post(UPLOAD, {"file": upload(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x81", "photo.csv")})

    page = client.get(response["Location"]).content.decode()
    assert ImportRun.objects.get().status == ImportRun.Status.REJECTED
    assert "ファイル全体" in page


@override_settings(CASES_IMPORT_MAX_BYTES=1024)
def test_an_oversized_upload_is_refused_with_the_limit_and_imports_nothing(cast: Cast, sign_in: SignIn) -> None:
    data = cp932_file(synthetic(cast.insurer_a))
    assert len(data) > 1024

    response = sign_in(cast.a_staff).post(UPLOAD, {"file": upload(data)})

    assert response.status_code == 200
    page = response.content.decode()
    assert "ファイルが大きすぎます。1KB以下のファイルにしてください" in page
    assert not ImportRun.objects.exists()
    assert not Case.objects.exists()


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_an_upload_spooled_to_a_temporary_file_imports_too(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_staff).post(UPLOAD, {"file": upload(cp932_file(synthetic(cast.insurer_a)))})

    assert response.status_code == 302
    assert Case.objects.count() == 50


def test_an_upload_without_a_file_asks_for_one(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_staff).post(UPLOAD, {})

    assert response.status_code == 200
    assert "ファイルを選んでください。" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_the_upload_page_answers_get_and_post_only(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_staff)

    assert client.put(UPLOAD).status_code == 405
    assert client.delete(UPLOAD).status_code == 405


# ---------------------------------------------------------------------------------------------
# Import history
# ---------------------------------------------------------------------------------------------

HISTORY = reverse("cases:import_list")


def _detail(run: ImportRun | int) -> str:
    return reverse("cases:import_detail", kwargs={"run_id": run if isinstance(run, int) else run.pk})


@pytest.mark.parametrize("persona", ["a_staff", "a_admin", "a_operator"])
def test_the_history_lists_the_insurers_runs_with_their_counts(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase], persona: str
) -> None:
    response = sign_in(getattr(cast, persona)).get(HISTORY)

    assert response.status_code == 200
    runs = list(response.context["page"])
    assert [r.insurer_id for r in runs] == [cast.insurer_a.pk]
    page = response.content.decode()
    assert cast.a_staff.email in page
    assert cast.b_staff.email not in page
    assert "cases.csv" in page
    assert "管理コマンド" in page
    assert _detail(runs[0]) in page


@pytest.mark.parametrize("persona", ["a_staff", "a_admin", "a_operator"])
def test_the_run_page_shows_the_counts(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase], persona: str
) -> None:
    run = ImportRun.objects.get(insurer=cast.insurer_a)

    response = sign_in(getattr(cast, persona)).get(_detail(run))

    assert response.status_code == 200
    page = response.content.decode()
    for label in ("新規", "更新", "変更なし", "完了・取下げ"):
        assert label in page
    assert f">{run.created}<" in page


def test_another_insurers_run_is_not_found(cast: Cast, sign_in: SignIn, population: list[SyntheticCase]) -> None:
    client = sign_in(cast.a_staff)
    theirs = ImportRun.objects.get(insurer=cast.insurer_b)

    assert client.get(_detail(theirs)).status_code == 404
    assert client.get(_detail(theirs.pk + 1000)).status_code == 404


@pytest.mark.parametrize("persona", ["a_auditor", "office_a_cm", "office_a_admin", "platform_admin"])
def test_the_history_is_forbidden_to_other_roles(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase], persona: str
) -> None:
    client = sign_in(getattr(cast, persona))
    run = ImportRun.objects.get(insurer=cast.insurer_a)

    assert client.get(HISTORY).status_code == 403
    assert client.get(_detail(run)).status_code == 403


def test_the_history_pages_answer_get_only(cast: Cast, sign_in: SignIn, population: list[SyntheticCase]) -> None:
    client = sign_in(cast.a_staff)
    run = ImportRun.objects.get(insurer=cast.insurer_a)

    assert client.post(HISTORY).status_code == 405
    assert client.post(_detail(run)).status_code == 405


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------

SEARCH = reverse("cases:case_search")
FULL_WIDTH = str.maketrans("0123456789H", "０１２３４５６７８９Ｈ")


def test_the_search_page_shows_an_empty_form_on_get(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_staff).get(SEARCH)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'method="post"' in page
    assert 'autocomplete="off"' in page
    assert 'inputmode="numeric"' in page
    assert "被保険者番号" in page
    assert response.context["results"] is None


def test_a_number_in_the_query_string_is_never_searched(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase]
) -> None:
    number = population[0].insured_number

    response = sign_in(cast.a_staff).get(SEARCH, {"insured_number": number})

    assert response.status_code == 200
    assert response.context["results"] is None
    assert not events(EventType.CASES_CASE_SEARCHED)


def test_a_search_finds_the_persons_applications_and_is_audited_without_the_number(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase]
) -> None:
    number = population[0].insured_number
    case = case_of(cast.insurer_a, number)

    response = sign_in(cast.a_staff).post(SEARCH, {"insured_number": number})

    assert response.status_code == 200
    assert [row["case"] for row in response.context["results"]] == [case]
    page = response.content.decode()
    assert reverse("cases:case_detail", kwargs={"case_id": case.pk}) in page
    assert number not in title_of(page)
    (event,) = events(EventType.CASES_CASE_SEARCHED)
    assert event.actor == cast.a_staff
    assert event.details == {"index": insured_index(cast.insurer_a.number, number)[:12], "matches": 1}
    assert number not in json.dumps(event.details)


def test_full_width_numbers_are_accepted(cast: Cast, sign_in: SignIn, population: list[SyntheticCase]) -> None:
    number = population[0].insured_number

    response = sign_in(cast.a_staff).post(SEARCH, {"insured_number": f" {number.translate(FULL_WIDTH)} "})

    assert len(response.context["results"]) == 1


def test_the_newest_application_comes_first(cast: Cast, sign_in: SignIn) -> None:
    today = timezone.localdate()
    older, newer = (today - timedelta(days=60)).isoformat(), (today - timedelta(days=5)).isoformat()
    import_as(
        cast.a_staff,
        rows_file(
            [
                {"被保険者番号": "4310000001", "申請日": older, "申請区分": "更新"},
                {"被保険者番号": "4310000001", "申請日": newer, "申請区分": "区分変更"},
                {"被保険者番号": "4310000002", "申請日": newer, "申請区分": "新規"},
            ]
        ),
    )

    response = sign_in(cast.a_staff).post(SEARCH, {"insured_number": "4310000001"})

    assert [row["case"].applied_on.isoformat() for row in response.context["results"]] == [newer, older]
    assert events(EventType.CASES_CASE_SEARCHED)[0].details["matches"] == 2


def test_no_match_says_so_and_is_audited(cast: Cast, sign_in: SignIn, population: list[SyntheticCase]) -> None:
    response = sign_in(cast.a_staff).post(SEARCH, {"insured_number": "0000000000"})

    assert response.status_code == 200
    assert "該当する申請はありません" in response.content.decode()
    (event,) = events(EventType.CASES_CASE_SEARCHED)
    assert event.details["matches"] == 0


def test_another_insurers_person_is_not_found(cast: Cast, sign_in: SignIn, population: list[SyntheticCase]) -> None:
    response = sign_in(cast.b_staff).post(SEARCH, {"insured_number": population[0].insured_number})

    assert response.context["results"] == []
    assert "該当する申請はありません" in response.content.decode()


def test_a_malformed_number_is_explained_and_not_searched(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_staff).post(SEARCH, {"insured_number": "12-34"})

    assert response.status_code == 200
    assert "被保険者番号は10桁の数字" in response.content.decode()
    assert response.context["results"] is None
    assert not events(EventType.CASES_CASE_SEARCHED)


@pytest.mark.parametrize("persona", ["a_admin", "a_auditor", "a_operator", "office_a_cm", "platform_admin"])
def test_search_is_forbidden_to_other_roles(cast: Cast, sign_in: SignIn, persona: str) -> None:
    client = sign_in(getattr(cast, persona))

    assert client.get(SEARCH).status_code == 403
    assert client.post(SEARCH, {"insured_number": "4310000001"}).status_code == 403
    assert not events(EventType.CASES_CASE_SEARCHED)


def test_search_answers_get_and_post_only(cast: Cast, sign_in: SignIn) -> None:
    assert sign_in(cast.a_staff).put(SEARCH).status_code == 405


# ---------------------------------------------------------------------------------------------
# Case page
# ---------------------------------------------------------------------------------------------


def _case_url(case: Case | int) -> str:
    return reverse("cases:case_detail", kwargs={"case_id": case if isinstance(case, int) else case.pk})


def test_the_case_page_shows_the_number_the_timeline_and_is_audited(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase]
) -> None:
    number = population[0].insured_number
    case = case_of(cast.insurer_a, number)

    response = sign_in(cast.a_staff).get(_case_url(case))

    assert response.status_code == 200
    page = response.content.decode()
    assert number in page
    assert number not in title_of(page)
    assert number not in response.request["PATH_INFO"]
    for label in ("申請受付", "認定調査 依頼", "認定調査 実施", "主治医意見書 依頼", "主治医意見書 受領", "一次判定"):
        assert label in page
    for label in ("介護認定審査会", "認定(二次判定)", "結果通知 発送", "延期通知", "CSV取込"):
        assert label in page
    assert "要介護度" not in page  # off unless the insurer opts in
    (event,) = events(EventType.CASES_CASE_VIEWED)
    assert (event.target_type, event.target_id) == ("cases.case", str(case.pk))
    assert number not in json.dumps(event.details)


def test_the_care_level_shows_when_the_insurer_uses_it(cast: Cast, sign_in: SignIn) -> None:
    Insurer.objects.filter(pk=cast.insurer_a.pk).update(care_level_enabled=True)
    applied = timezone.localdate() - timedelta(days=20)
    import_as(
        cast.a_staff,
        rows_file(
            [
                {
                    "被保険者番号": "4310000001",
                    "申請日": applied.isoformat(),
                    "申請区分": "新規",
                    "認定日": (applied + timedelta(days=15)).isoformat(),
                    "要介護度": "要介護2",
                }
            ]
        ),
    )

    page = sign_in(cast.a_staff).get(_case_url(case_of(cast.insurer_a, "4310000001"))).content.decode()

    assert "要介護度" in page
    assert "要介護2" in page


def test_an_open_case_past_30_days_without_notice_is_flagged(cast: Cast, sign_in: SignIn) -> None:
    today = timezone.localdate()
    import_as(
        cast.a_staff,
        rows_file(
            [
                {"被保険者番号": "4310000001", "申請日": (today - timedelta(days=35)).isoformat(), "申請区分": "新規"},
                {
                    "被保険者番号": "4310000002",
                    "申請日": (today - timedelta(days=35)).isoformat(),
                    "申請区分": "新規",
                    "延期通知日": (today - timedelta(days=6)).isoformat(),
                    "延期理由": "主治医意見書の提出遅延のため",
                    "延期見込日": (today + timedelta(days=10)).isoformat(),
                },
            ]
        ),
    )
    client = sign_in(cast.a_staff)

    late = client.get(_case_url(case_of(cast.insurer_a, "4310000001"))).content.decode()
    noticed = client.get(_case_url(case_of(cast.insurer_a, "4310000002"))).content.decode()

    assert "30日超過(延期通知なし)" in late
    assert "申請から35日経過" in late
    assert "30日超過(延期通知なし)" not in noticed
    assert "主治医意見書の提出遅延のため" in noticed


def test_a_withdrawn_case_shows_its_closure(cast: Cast, sign_in: SignIn) -> None:
    applied = timezone.localdate() - timedelta(days=20)
    import_as(
        cast.a_staff,
        rows_file(
            [
                {
                    "被保険者番号": "4310000001",
                    "申請日": applied.isoformat(),
                    "申請区分": "新規",
                    "取下げ・却下": "取下げ",
                    "取下げ・却下日": (applied + timedelta(days=4)).isoformat(),
                }
            ]
        ),
    )

    page = sign_in(cast.a_staff).get(_case_url(case_of(cast.insurer_a, "4310000001"))).content.decode()

    assert "取下げ" in page
    assert "申請から4日で終了" in page


def test_another_insurers_case_is_not_found(cast: Cast, sign_in: SignIn, population: list[SyntheticCase]) -> None:
    theirs = Case.objects.filter(insurer=cast.insurer_b).first()
    assert theirs is not None
    client = sign_in(cast.a_staff)

    assert client.get(_case_url(theirs)).status_code == 404
    assert client.get(_case_url(theirs.pk + 10_000)).status_code == 404
    assert not events(EventType.CASES_CASE_VIEWED)


@pytest.mark.parametrize("persona", ["a_admin", "a_auditor", "a_operator", "office_a_cm", "platform_admin"])
def test_the_case_page_is_forbidden_to_other_roles(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase], persona: str
) -> None:
    case = Case.objects.filter(insurer=cast.insurer_a).first()
    assert case is not None

    assert sign_in(getattr(cast, persona)).get(_case_url(case)).status_code == 403


def test_the_case_page_answers_get_only(cast: Cast, sign_in: SignIn, population: list[SyntheticCase]) -> None:
    case = Case.objects.filter(insurer=cast.insurer_a).first()
    assert case is not None

    assert sign_in(cast.a_staff).post(_case_url(case)).status_code == 405


def test_the_number_never_appears_in_a_url_redirect_or_title(
    cast: Cast, sign_in: SignIn, population: list[SyntheticCase]
) -> None:
    number = population[0].insured_number
    client = sign_in(cast.a_staff)
    seen: list[str] = []

    search = client.post(SEARCH, {"insured_number": number})
    links = re.findall(r'href="([^"]+)"', search.content.decode())
    seen += [title_of(search.content.decode()), *links]
    detail = client.get(_case_url(case_of(cast.insurer_a, number)))
    seen += [title_of(detail.content.decode()), *re.findall(r'href="([^"]+)"', detail.content.decode())]
    uploaded = client.post(UPLOAD, {"file": upload(cp932_file(population))})
    seen += [uploaded["Location"], title_of(client.get(uploaded["Location"]).content.decode())]

    assert all(number not in text for text in seen)
    assert all(number not in (e.details and json.dumps(e.details)) for e in AuditEvent.objects.all())


# ---------------------------------------------------------------------------------------------
# Erasure records
# ---------------------------------------------------------------------------------------------

ERASURES = reverse("cases:erasure_list")


def _erasure(insurer: Insurer, count: int = 12) -> ErasureRecord:
    return ErasureRecord.objects.create(
        insurer=insurer,
        job="purge_cases",
        ran_at=timezone.now(),
        deleted_count=count,
        applied_from=date(2025, 1, 6),
        applied_to=date(2025, 2, 28),
        keys_digest="ab" * 32,
        policy={"retention_days_after_closure": 30, "retention_days_after_application": 180},
    )


def _erasure_url(record: ErasureRecord) -> str:
    return reverse("cases:erasure_detail", kwargs={"record_id": record.pk})


@pytest.mark.parametrize("persona", ["a_admin", "a_auditor"])
def test_admins_and_auditors_see_the_erasure_records(cast: Cast, sign_in: SignIn, persona: str) -> None:
    ours, theirs = _erasure(cast.insurer_a, 12), _erasure(cast.insurer_b, 99)
    client = sign_in(getattr(cast, persona))

    listing = client.get(ERASURES)
    detail = client.get(_erasure_url(ours))

    assert listing.status_code == 200
    assert list(listing.context["page"]) == [ours]
    assert "purge_cases" in listing.content.decode()
    assert "2025/01/06 〜 2025/02/28" in listing.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "ab" * 32 in page
    assert "retention_days_after_closure" in page
    assert 'class="print-sheet"' in page
    assert client.get(_erasure_url(theirs)).status_code == 404


@pytest.mark.parametrize("persona", ["a_staff", "a_operator", "office_a_admin", "platform_admin"])
def test_erasure_records_are_forbidden_to_other_roles(cast: Cast, sign_in: SignIn, persona: str) -> None:
    client = sign_in(getattr(cast, persona))
    record = _erasure(cast.insurer_a)

    assert client.get(ERASURES).status_code == 403
    assert client.get(_erasure_url(record)).status_code == 403


def test_erasure_pages_answer_get_only(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_auditor)

    assert client.post(ERASURES).status_code == 405
    assert client.post(_erasure_url(_erasure(cast.insurer_a))).status_code == 405


# ---------------------------------------------------------------------------------------------
# Menu and sign-in
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("a_staff", ["認定申請の検索", "取込", "取込履歴"], ["消去記録"]),
        ("a_admin", ["取込履歴", "消去記録"], ["認定申請の検索", ">取込<"]),
        ("a_auditor", ["消去記録"], ["認定申請の検索", "取込履歴"]),
        ("a_operator", ["取込履歴"], ["認定申請の検索", ">取込<", "消去記録"]),
        ("office_a_cm", [], ["認定申請の検索", "取込履歴", "消去記録"]),
    ],
)
def test_the_menu_offers_what_the_role_may_open(
    cast: Cast, sign_in: SignIn, persona: str, shown: list[str], hidden: list[str]
) -> None:
    page = sign_in(getattr(cast, persona)).get(reverse("web:home")).content.decode()
    menu = page[page.index('<nav class="site-nav"') : page.index("</nav>")]

    assert all(label in menu for label in shown)
    assert all(label not in menu for label in hidden)


@pytest.mark.parametrize(
    "url",
    [SEARCH, UPLOAD, HISTORY, ERASURES, reverse("cases:case_detail", kwargs={"case_id": 1})],
)
def test_the_pages_require_signing_in(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
