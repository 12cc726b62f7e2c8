"""The vendor's pages: counts and health, never who (seed 002), and a health check for the load balancer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.accounts.services import user_disable
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.audit.services import audit_record
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


def test_the_operator_page_shows_counts_of_their_own_insurer(cast: Cast, sign_in: SignIn) -> None:
    user_disable(actor=cast.a_admin, user=cast.a_staff, reason="退職")
    audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.b_staff)  # another insurer's
    client = sign_in(cast.a_operator)
    expected_events = AuditEvent.objects.filter(insurer=cast.insurer_a).count()

    response = client.get(reverse("ops:status"))

    assert response.status_code == 200
    counts = response.context["counts"]
    # Insurer A: admin, auditor and operator active; the staff member disabled.
    assert (counts["active_users"], counts["disabled_users"]) == (3, 1)
    assert counts["audit_events"] == expected_events
    page = response.content.decode()
    assert f"<dd>{expected_events}件</dd>" in page


def test_the_operator_page_never_shows_an_email_address_or_a_name(cast: Cast, sign_in: SignIn) -> None:
    operator = cast.a_operator
    user_disable(actor=cast.a_admin, user=cast.a_staff, reason="退職")

    page = sign_in(operator).get(reverse("ops:status")).content.decode()

    assert "@" not in page  # no e-mail address of anyone, the operator's own included
    for person in cast.everyone().values():
        assert person.email not in page
        if person != operator:  # the page frame greets the signed-in operator by name
            assert person.display_name not in page
    assert "退職" not in page


@pytest.mark.parametrize("persona", ["a_admin", "a_staff", "a_auditor", "office_a_cm", "platform_admin"])
def test_only_operators_open_the_operator_page(cast: Cast, sign_in: SignIn, persona: str) -> None:
    assert sign_in(getattr(cast, persona)).get(reverse("ops:status")).status_code == 403


def test_healthz_answers_200_json_without_login(client: Client) -> None:
    response = client.get(reverse("ops:healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    # No counts, no versions: nothing for a stranger to learn.
    assert response.json() == {"status": "ok"}


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post(reverse("ops:healthz")).status_code == 405
