"""Retention (DESIGN §3, T9): cases go the day after a limit, per insurer, with an erasure record
that says what, how many, when and by which job — and holds no identifier (seed 002 items 11–12)."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import ApplicationKind, Closure
from shinchoku.cases.importing.service import cases_import
from shinchoku.cases.models import Case, ErasureRecord, ImportRun
from shinchoku.cases.retention import cases_purge_expired, erasure_digest, expired_cases, last_day_kept
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.services import insurer_set_retention
from shinchoku.lib.synthetic import generate_cases, write_csv
from tests.cases import make_case
from tests.personas import Cast

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
D = date(2025, 4, 1)  # a decision or application day the tests count from
JOB = "test purge"


def _case(
    insurer: Insurer,
    number: str,
    applied: date,
    *,
    certified: date | None = None,
    closure: str = "",
    closed: date | None = None,
    kind: str = ApplicationKind.RENEWAL,
) -> Case:
    return make_case(insurer, number, applied, kind=kind, certified_on=certified, closure=closure, closed_on=closed)


def _exists(case: Case) -> bool:
    return Case.objects.filter(pk=case.pk).exists()


# -- when a case expires -----------------------------------------------------------------------


@pytest.mark.parametrize(("days_after", "expired"), [(29, False), (30, False), (31, True), (32, True)])
def test_a_decided_case_goes_the_day_after_the_closure_limit(cast: Cast, days_after: int, expired: bool) -> None:
    case = _case(cast.insurer_a, "0000000001", D - timedelta(days=20), certified=D)
    assert (case in expired_cases(cast.insurer_a, D + timedelta(days=days_after))) is expired


@pytest.mark.parametrize(("days_after", "expired"), [(30, False), (31, True)])
def test_a_withdrawn_case_goes_the_day_after_the_closure_limit(cast: Cast, days_after: int, expired: bool) -> None:
    case = _case(cast.insurer_a, "0000000001", D - timedelta(days=5), closure=Closure.WITHDRAWN, closed=D)
    assert (case in expired_cases(cast.insurer_a, D + timedelta(days=days_after))) is expired


@pytest.mark.parametrize(("days_after", "expired"), [(179, False), (180, False), (181, True)])
def test_an_undecided_case_goes_the_day_after_the_application_limit(cast: Cast, days_after: int, expired: bool) -> None:
    case = _case(cast.insurer_a, "0000000001", D)
    assert (case in expired_cases(cast.insurer_a, D + timedelta(days=days_after))) is expired


def test_the_later_of_decision_and_closure_dates_counts(cast: Cast) -> None:
    case = _case(cast.insurer_a, "0000000001", D, certified=D + timedelta(days=10), closure=Closure.REJECTED, closed=D)
    assert case not in expired_cases(cast.insurer_a, D + timedelta(days=10 + 30))
    assert case in expired_cases(cast.insurer_a, D + timedelta(days=10 + 31))


def test_the_application_limit_wins_when_it_comes_first(cast: Cast) -> None:
    # Decided on day 170: 30 more days would be day 200, but day 180 after the application is the limit.
    case = _case(cast.insurer_a, "0000000001", D, certified=D + timedelta(days=170))
    assert case not in expired_cases(cast.insurer_a, D + timedelta(days=180))
    assert case in expired_cases(cast.insurer_a, D + timedelta(days=181))


def test_an_open_case_is_kept_until_the_application_limit_whatever_its_milestones(cast: Cast) -> None:
    case = _case(cast.insurer_a, "0000000001", D)
    Case.objects.filter(pk=case.pk).update(survey_done_on=D + timedelta(days=3), committee_held_on=D)
    assert case not in expired_cases(cast.insurer_a, D + timedelta(days=100))


def test_the_query_and_last_day_kept_agree_on_a_realistic_file(cast: Cast) -> None:
    as_of = date(2025, 6, 30)
    out = io.BytesIO()
    write_csv(generate_cases(insurer_number="431007", count=400, as_of=as_of, seed=3, span_days=200), out)
    outcome = cases_import(
        actor=None,
        actor_label="test",
        insurer=cast.insurer_a,
        data=out.getvalue(),
        file_name="t.csv",
        channel=ImportRun.Channel.COMMAND,
        today=as_of,
    )
    assert outcome.ok, outcome.problems
    insurer = cast.insurer_a
    cases = list(Case.objects.filter(insurer=insurer))
    for today in (as_of, as_of + timedelta(days=15), as_of + timedelta(days=60), as_of + timedelta(days=200)):
        by_rule = {
            c.pk
            for c in cases
            if last_day_kept(
                applied_on=c.applied_on,
                certified_on=c.certified_on,
                closed_on=c.closed_on,
                after_closure=insurer.retention_days_after_closure,
                after_application=insurer.retention_days_after_application,
            )
            < today
        }
        assert set(expired_cases(insurer, today).values_list("pk", flat=True)) == by_rule
    assert 0 < len(by_rule) == len(cases)  # 200 days later everything has gone


# -- per-insurer policies ----------------------------------------------------------------------


def test_each_insurer_s_own_policy_applies(cast: Cast) -> None:
    insurer_set_retention(
        actor=None, insurer=cast.insurer_a, after_closure=7, after_application=60, care_level_enabled=False
    )
    insurer_set_retention(
        actor=None, insurer=cast.insurer_b, after_closure=90, after_application=365, care_level_enabled=False
    )
    a_case = _case(cast.insurer_a, "0000000001", D, certified=D)
    b_case = _case(cast.insurer_b, "0000000001", D, certified=D)
    today = D + timedelta(days=8)
    assert list(expired_cases(cast.insurer_a, today)) == [a_case]
    assert list(expired_cases(cast.insurer_b, today)) == []
    assert list(expired_cases(cast.insurer_b, D + timedelta(days=91))) == [b_case]


def test_purging_one_insurer_never_touches_another(cast: Cast) -> None:
    a_old = _case(cast.insurer_a, "0000000001", D, certified=D)
    b_old = _case(cast.insurer_b, "0000000001", D, certified=D)  # expired too, but not asked for
    record = cases_purge_expired(insurer=cast.insurer_a, today=D + timedelta(days=40), job=JOB)
    assert record is not None
    assert record.deleted_count == 1
    assert not _exists(a_old)
    assert _exists(b_old)
    assert not ErasureRecord.objects.filter(insurer=cast.insurer_b).exists()


# -- the purge and its record ------------------------------------------------------------------


def _scenario(cast: Cast) -> tuple[list[Case], list[Case]]:
    """Three expired cases of insurer A on D+40 and two that stay."""
    gone = [
        _case(cast.insurer_a, "0000000011", D - timedelta(days=25), certified=D),
        _case(cast.insurer_a, "H000000012", D - timedelta(days=3), closure=Closure.WITHDRAWN, closed=D),
        _case(cast.insurer_a, "0000000013", D - timedelta(days=150), kind=ApplicationKind.NEW),
    ]
    kept = [
        _case(cast.insurer_a, "0000000011", D + timedelta(days=20), kind=ApplicationKind.CHANGE),
        _case(cast.insurer_a, "0000000014", D, certified=D + timedelta(days=30)),
    ]
    return gone, kept


def test_expired_cases_are_deleted_and_the_rest_kept(cast: Cast) -> None:
    gone, kept = _scenario(cast)
    cases_purge_expired(insurer=cast.insurer_a, today=D + timedelta(days=40), job=JOB)
    assert not any(_exists(c) for c in gone)
    assert all(_exists(c) for c in kept)


def test_the_erasure_record_says_what_how_many_when_and_which_job(cast: Cast) -> None:
    _scenario(cast)
    ran_at = datetime(2025, 5, 11, 3, 15, tzinfo=TOKYO)
    with time_machine.travel(ran_at, tick=False):
        record = cases_purge_expired(insurer=cast.insurer_a, today=D + timedelta(days=40), job=JOB)
    assert record is not None
    record.refresh_from_db()
    assert record.insurer == cast.insurer_a
    assert record.deleted_count == 3
    assert record.applied_from == D - timedelta(days=150)
    assert record.applied_to == D - timedelta(days=3)
    assert record.policy == {"after_closure": 30, "after_application": 180}
    assert record.job == JOB
    assert record.ran_at == ran_at


def test_the_digest_can_be_recomputed_from_the_keys_of_the_deleted_cases(cast: Cast) -> None:
    gone, _ = _scenario(cast)
    keys = [(c.insured_index, c.applied_on, c.application_kind) for c in gone]
    record = cases_purge_expired(insurer=cast.insurer_a, today=D + timedelta(days=40), job=JOB)
    assert record is not None
    lines = sorted(f"{i} {a.isoformat()} {k}\n" for i, a, k in keys)
    assert record.keys_digest == hashlib.sha256("".join(lines).encode()).hexdigest()
    assert record.keys_digest == erasure_digest(reversed(keys))  # order does not matter


def test_no_identifier_reaches_the_record_or_the_audit_trail(cast: Cast) -> None:
    gone, _ = _scenario(cast)
    secrets = {"0000000011", "H000000012", "0000000013"}
    secrets |= {c.insured_index for c in gone} | {c.insured_number_enc for c in gone}
    record = cases_purge_expired(insurer=cast.insurer_a, today=D + timedelta(days=40), job=JOB)
    assert record is not None
    event = AuditEvent.objects.get(event_type=EventType.CASES_ERASURE_RECORDED)
    stored = json.dumps(
        [
            {f.name: str(getattr(record, f.attname)) for f in ErasureRecord._meta.concrete_fields},
            event.details,
            event.target_id,
        ],
        ensure_ascii=False,
    )
    assert not any(secret in stored for secret in secrets)


def test_the_erasure_is_audited_with_its_counts(cast: Cast) -> None:
    _scenario(cast)
    record = cases_purge_expired(insurer=cast.insurer_a, today=D + timedelta(days=40), job=JOB)
    assert record is not None
    event = AuditEvent.objects.get(event_type=EventType.CASES_ERASURE_RECORDED)
    assert event.insurer == cast.insurer_a
    assert event.actor is None
    assert event.actor_label == JOB
    assert event.target_id == str(record.pk)
    assert event.details["deleted"] == 3
    assert event.details["applied_from"] == (D - timedelta(days=150)).isoformat()
    assert event.details["policy"] == {"after_closure": 30, "after_application": 180}


def test_a_second_run_the_same_day_deletes_nothing_and_writes_no_record(cast: Cast) -> None:
    _scenario(cast)
    today = D + timedelta(days=40)
    assert cases_purge_expired(insurer=cast.insurer_a, today=today, job=JOB) is not None
    events = AuditEvent.objects.count()
    remaining = Case.objects.count()
    assert cases_purge_expired(insurer=cast.insurer_a, today=today, job=JOB) is None
    assert ErasureRecord.objects.count() == 1
    assert AuditEvent.objects.count() == events
    assert Case.objects.count() == remaining


def test_nothing_expired_means_no_record(cast: Cast) -> None:
    _case(cast.insurer_a, "0000000001", D)
    assert cases_purge_expired(insurer=cast.insurer_a, today=D + timedelta(days=1), job=JOB) is None
    assert not ErasureRecord.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.CASES_ERASURE_RECORDED).exists()


# -- the command -------------------------------------------------------------------------------


def _purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


def test_the_command_purges_every_active_insurer_and_says_so_in_japanese(cast: Cast) -> None:
    _scenario(cast)
    _case(cast.insurer_b, "0000000001", D, certified=D)
    with time_machine.travel(datetime(2025, 5, 11, 3, 0, tzinfo=TOKYO), tick=False):
        output = _purge()
    assert "熊本市(431007): 3件を消去しました(申請日 2024-11-02〜2025-03-29、消去記録 #" in output
    assert "横浜市(141002): 1件を消去しました" in output
    assert "基準日 2025-05-11: 合計 4件を消去しました。" in output
    record = ErasureRecord.objects.get(insurer=cast.insurer_a)
    assert record.job == "manage.py purge_expired"


def test_the_command_says_when_nothing_was_erased(cast: Cast) -> None:
    with time_machine.travel(datetime(2025, 6, 1, 3, 0, tzinfo=TOKYO), tick=False):
        output = _purge("--insurer", "431007")
    assert "熊本市(431007): 保存期間を過ぎた認定申請はありません(消去記録は作成しません)。" in output
    assert "横浜市" not in output
    assert not ErasureRecord.objects.exists()


def test_the_command_skips_inactive_insurers(cast: Cast) -> None:
    _case(cast.insurer_b, "0000000001", D, certified=D)
    Insurer.objects.filter(pk=cast.insurer_b.pk).update(is_active=False)
    with time_machine.travel(datetime(2025, 6, 1, 3, 0, tzinfo=TOKYO), tick=False):
        output = _purge()
    assert "横浜市" not in output
    assert Case.objects.filter(insurer=cast.insurer_b).exists()


def test_the_command_backfills_a_past_day_and_names_it_in_the_job(cast: Cast) -> None:
    case = _case(cast.insurer_a, "0000000001", D, certified=D)
    with time_machine.travel(datetime(2025, 6, 1, 3, 0, tzinfo=TOKYO), tick=False):
        assert "合計 0件" in _purge("--today", "2025-05-01")
        assert _exists(case)
        assert "合計 1件" in _purge("--today", "2025-05-02")
    assert not _exists(case)
    assert ErasureRecord.objects.get().job == "manage.py purge_expired --today=2025-05-02"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--today", "2025-06-02"), "未来の日付"),
        (("--today", "2025/06/01"), "YYYY-MM-DD"),
        (("--insurer", "999999"), "登録されていない"),
        (("--insurer", "12"), "6桁"),
    ],
)
def test_the_command_refuses_bad_arguments(cast: Cast, args: tuple[str, ...], message: str) -> None:
    _case(cast.insurer_a, "0000000001", D, certified=D)
    with time_machine.travel(datetime(2025, 6, 1, 3, 0, tzinfo=TOKYO), tick=False), pytest.raises(CommandError) as info:
        _purge(*args)
    assert message in str(info.value)
    assert Case.objects.count() == 1


# -- the bounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closure", "application", "field", "message"),
    [
        (6, 180, "retention_days_after_closure", "決定・取下げ後の保存日数は7日から90日までの整数で指定してください。"),
        (
            91,
            180,
            "retention_days_after_closure",
            "決定・取下げ後の保存日数は7日から90日までの整数で指定してください。",
        ),
        (
            30,
            59,
            "retention_days_after_application",
            "申請日からの最長保存日数は60日から365日までの整数で指定してください。",
        ),
        (
            30,
            366,
            "retention_days_after_application",
            "申請日からの最長保存日数は60日から365日までの整数で指定してください。",
        ),
    ],
)
def test_retention_outside_the_bounds_is_refused_in_japanese(
    cast: Cast, closure: int, application: int, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        insurer_set_retention(
            actor=cast.platform_admin,
            insurer=cast.insurer_a,
            after_closure=closure,
            after_application=application,
            care_level_enabled=True,
        )
    assert info.value.message_dict == {field: [message]}
    cast.insurer_a.refresh_from_db()
    assert (cast.insurer_a.retention_days_after_closure, cast.insurer_a.retention_days_after_application) == (30, 180)
    assert not cast.insurer_a.care_level_enabled
    assert not AuditEvent.objects.filter(event_type=EventType.INSURERS_INSURER_UPDATED).exists()


@pytest.mark.parametrize(("closure", "application"), [(7, 60), (90, 365)])
def test_retention_at_the_bounds_is_saved_and_audited(cast: Cast, closure: int, application: int) -> None:
    insurer_set_retention(
        actor=cast.platform_admin,
        insurer=cast.insurer_a,
        after_closure=closure,
        after_application=application,
        care_level_enabled=True,
    )
    insurer = Insurer.objects.get(pk=cast.insurer_a.pk)
    assert (insurer.retention_days_after_closure, insurer.retention_days_after_application) == (closure, application)
    assert insurer.care_level_enabled
    event = AuditEvent.objects.get(event_type=EventType.INSURERS_INSURER_UPDATED)
    assert event.actor == cast.platform_admin
    assert event.insurer == insurer
    assert event.details == {
        "changed": {
            "retention_days_after_closure": [30, closure],
            "retention_days_after_application": [180, application],
            "care_level_enabled": [False, True],
        }
    }


def test_unchanged_retention_writes_no_event(cast: Cast) -> None:
    insurer_set_retention(
        actor=None, insurer=cast.insurer_a, after_closure=30, after_application=180, care_level_enabled=False
    )
    assert not AuditEvent.objects.filter(event_type=EventType.INSURERS_INSURER_UPDATED).exists()


def test_the_model_itself_holds_the_bounds(cast: Cast) -> None:
    insurer = cast.insurer_a
    insurer.retention_days_after_closure = 91
    insurer.retention_days_after_application = 59
    with pytest.raises(ValidationError) as info:
        insurer.full_clean()
    assert set(info.value.message_dict) == {"retention_days_after_closure", "retention_days_after_application"}
