"""The insurer's list of care offices: each insurer sees the offices that applied to it only (T6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.offices.models import ApprovalStatus, OfficeApproval
from shinchoku.offices.services import approval_set_status
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


def _detail_url(approval: OfficeApproval | int) -> str:
    pk = approval if isinstance(approval, int) else approval.pk
    return reverse("offices:approval_detail", kwargs={"approval_id": pk})


def test_insurer_staff_see_the_offices_that_applied_to_their_insurer(cast: Cast, sign_in: SignIn) -> None:
    pending = approval_set_status(
        actor=None, insurer=cast.insurer_a, office=cast.office_unapproved, status=ApprovalStatus.PENDING
    )

    response = sign_in(cast.a_staff).get(reverse("offices:approval_list"))

    assert response.status_code == 200
    # Awaiting a decision first, then by office number.
    assert list(response.context["approvals"]) == [pending, cast.approval_a]
    page = response.content.decode()
    assert cast.office_a.name in page
    assert '<strong class="badge badge--warn">審査中</strong>' in page


def test_it_hides_the_offices_of_other_insurers(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_admin).get(reverse("offices:approval_list"))

    assert cast.approval_b not in response.context["approvals"]
    page = response.content.decode()
    assert cast.office_b.name not in page
    assert cast.office_b.number not in page


def test_the_detail_of_an_own_office_shows_its_number_and_status(cast: Cast, sign_in: SignIn) -> None:
    response = sign_in(cast.a_staff).get(_detail_url(cast.approval_a))

    assert response.status_code == 200
    page = response.content.decode()
    assert cast.office_a.number in page
    assert "承認済み" in page


def test_the_detail_of_another_insurers_office_is_not_found(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_staff)
    missing = OfficeApproval.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000

    assert client.get(_detail_url(cast.approval_b)).status_code == 404
    assert client.get(_detail_url(missing)).status_code == 404


@pytest.mark.parametrize("persona", ["a_auditor", "a_operator", "office_a_admin", "office_a_cm", "platform_admin"])
def test_roles_without_the_permission_get_403(cast: Cast, sign_in: SignIn, persona: str) -> None:
    client = sign_in(getattr(cast, persona))

    assert client.get(reverse("offices:approval_list")).status_code == 403
    assert client.get(_detail_url(cast.approval_a)).status_code == 403


def test_the_office_pages_only_answer_get(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    assert client.post(reverse("offices:approval_list")).status_code == 405
    assert client.post(_detail_url(cast.approval_a)).status_code == 405


def test_the_office_pages_need_a_login(client: Client, cast: Cast) -> None:
    url = _detail_url(cast.approval_a)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"
