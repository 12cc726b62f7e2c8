"""Every URL of the project, walked as every persona of two tenants (DESIGN T6).

``ROUTES`` below is the one table that says who may open what. A route missing from it fails
``test_every_route_is_classified``, so a new page cannot ship without someone deciding who may
see it. For each route the walk then checks, in one parametrised test:

* anonymous → the login page, with ``?next=`` pointing back (unless the route is public);
* signed in without a second factor → the enrolment page (unless it is an enrolment page);
* every persona of the cast → what its role and tenant allow: the answer in the table for the
  personas let in, 404 for holders of the permission from the other tenant (objects belong to
  tenant A), 403 for roles without the permission, 404 for everyone on the admin but the
  platform admin;
* each of GET/POST/PUT/DELETE the view does not serve → 405, or the answer recorded in the
  table with the reason why a library view answers otherwise.

Signed-in personas carry a session as after a fresh login and re-authentication, so allauth's
"confirm your password first" step does not hide what is behind it.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from fido2.cose import ES256
from fido2.utils import sha256
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

from shinchoku.accounts.invitations import invitation_issue
from shinchoku.accounts.middleware import ENROLMENT_VIEWS
from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_create
from shinchoku.api.models import ApiClient
from shinchoku.api.services import api_client_create
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.audit.services import audit_record
from shinchoku.cases.importing.service import cases_import
from shinchoku.cases.models import Case, ColumnMapping, ErasureRecord, ImportRun
from shinchoku.cases.services import column_mapping_add
from shinchoku.checklists.models import Submission
from shinchoku.checklists.services import submission_start
from shinchoku.lookup.models import Alert
from shinchoku.offices import proofs
from shinchoku.offices.models import DesignationProof, OfficeApproval
from tests.cases import make_case
from tests.checklists import sign_checklist
from tests.documents import pdf
from tests.personas import Cast, make_user, signed_in_recently

pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------------------------------------
# What a response should be
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """An expected response: a status, and for redirects where to (a URL name or a path)."""

    status: int
    to: str = ""
    next_is_self: bool = False  # the redirect carries ?next=<the URL that was asked for>
    prefix: bool = False  # ``to`` is a path prefix (the target holds an id or a key)

    def describe(self) -> str:
        if not self.to:
            return str(self.status)
        return f"{self.status} → {self.to}{'…' if self.prefix else ''}{'?next=<self>' if self.next_is_self else ''}"

    def mismatch(self, response: HttpResponseBase, asked: str) -> str | None:
        location = response.get("Location", "")
        got = f"{response.status_code}{' → ' + location if location else ''}"
        if response.status_code != self.status:
            return got
        if not self.to:
            return None
        target = self.to if self.to.startswith("/") else reverse(self.to)
        parts = urlsplit(location)
        if parts.path != target and not (self.prefix and parts.path.startswith(target)):
            return got
        if self.next_is_self and parse_qs(parts.query).get("next") != [asked]:
            return got
        return None


OK = Answer(200)
FORBIDDEN = Answer(403)
NOT_FOUND = Answer(404)
UNAUTHORIZED = Answer(401)
NOT_ALLOWED = Answer(405)
TO_LOGIN = Answer(302, "account_login", next_is_self=True)
TO_ENROL = Answer(302, "web:enrol")
TO_HOME = Answer(302, "web:home")


def to(target: str, *, prefix: bool = False) -> Answer:
    return Answer(302, target, prefix=prefix)


# ---------------------------------------------------------------------------------------------
# The objects of tenant A that routes are opened with
# ---------------------------------------------------------------------------------------------


@dataclass
class World:
    cast: Cast
    event_a: AuditEvent  # an audit event of insurer A
    passkey_a: Authenticator  # a passkey of insurer A's staff member
    unenrolled: User  # insurer A's admin, signed in but without a second factor yet
    api_client_a: ApiClient  # an API client of insurer A
    run_a: ImportRun  # an import of insurer A
    case_a: Case  # a case of insurer A
    erasure_a: ErasureRecord  # an erasure record of insurer A
    column_mapping_a: ColumnMapping  # a header alias of insurer A
    linked_case_a: Case  # a case of insurer A whose office on file is office A
    alert_a: Alert  # a lookup stop reported to insurer A
    proof_a: DesignationProof  # office A's proof of designation, attached to its application to insurer A
    checklist_a: Submission  # a signed checklist of office A (which also has a draft under way)
    invitation_token: str  # the open invitation of a care manager of office A


def passkey_credential() -> dict[str, Any]:
    """A well-formed WebAuthn registration (attestation "none") for a fresh P-256 key."""
    credential_id = secrets.token_bytes(16)
    # fido2 leaves this classmethod unannotated.
    public_key = ES256.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()).public_key())  # type: ignore[no-untyped-call]
    auth_data = AuthenticatorData.create(
        sha256(b"localhost"),
        AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT,
        0,
        AttestedCredentialData.create(Aaguid.NONE, credential_id, public_key),
    )
    response = RegistrationResponse(
        raw_id=credential_id,
        response=AuthenticatorAttestationResponse(
            client_data=CollectedClientData.create(
                type="webauthn.create", challenge=secrets.token_bytes(16), origin="http://localhost"
            ),
            attestation_object=AttestationObject.create("none", auth_data, {}),
        ),
    )
    return dict(response)


def _proof_of_office_a(cast: Cast) -> DesignationProof:
    """A proof on office A's application to insurer A (the cast's offices predate registration)."""
    data = pdf()
    proof = DesignationProof.objects.create(
        office=cast.office_a,
        content_type="application/pdf",
        size=len(data),
        sha256="0" * 64,
        file_name="指定通知書.pdf",
        sealed=proofs.seal(cast.office_a.pk, data),
        uploaded_by=cast.office_a_admin,
    )
    OfficeApproval.objects.filter(pk=cast.approval_a.pk).update(proof=proof)
    return proof


@pytest.fixture
def world(cast: Cast) -> World:
    run_a = cases_import(
        actor=cast.a_staff,
        actor_label=cast.a_staff.email,
        insurer=cast.insurer_a,
        data="被保険者番号,申請日,申請区分\r\n4310000001,R7.04.01,新規\r\n".encode("cp932"),
        file_name="cases.csv",
        channel=ImportRun.Channel.UPLOAD,
    ).run
    return World(
        run_a=run_a,
        case_a=Case.objects.get(insurer=cast.insurer_a),
        erasure_a=ErasureRecord.objects.create(
            insurer=cast.insurer_a, job="purge_expired", ran_at=timezone.now(), deleted_count=1, keys_digest="0" * 64
        ),
        cast=cast,
        event_a=audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff),
        passkey_a=Authenticator.objects.create(
            user=cast.a_staff,
            type=Authenticator.Type.WEBAUTHN,
            data={"name": "職場のセキュリティキー", "credential": passkey_credential()},
        ),
        unenrolled=make_user(
            "unenrolled-a-admin@test.example", Role.INSURER_ADMIN, insurer=cast.insurer_a, second_factor=False
        ),
        api_client_a=api_client_create(
            actor=cast.a_admin,
            insurer=cast.insurer_a,
            name="認定支援システム",
            expires_at=timezone.now() + timedelta(days=30),
            allowed_ips=[],
        )[0],
        column_mapping_a=column_mapping_add(
            actor=cast.a_admin, insurer=cast.insurer_a, field="survey_done_on", header="訪問調査日"
        ),
        linked_case_a=make_case(cast.insurer_a, "4310000002", date(2025, 4, 1), office_number=cast.office_a.number),
        alert_a=Alert.objects.create(
            insurer=cast.insurer_a,
            created_at=timezone.now(),
            scope=Alert.Scope.USER,
            subject=cast.office_a_cm.email,
            misses=5,
            window_seconds=900,
            blocked_until=timezone.now() + timedelta(minutes=30),
        ),
        proof_a=_proof_of_office_a(cast),
        checklist_a=_checklist_a(cast),
        invitation_token=_invitation_token(cast),
    )


def _invitation_token(cast: Cast) -> str:
    invitee = user_create(
        actor=cast.office_a_admin,
        email="invitee-a@test.example",
        display_name="招待 花子",
        role=Role.CARE_MANAGER,
        office=cast.office_a,
        password=None,
    )
    token = invitation_issue(actor=cast.office_a_admin, user=invitee).token
    assert token is not None
    return token


Kwargs = Callable[[World], dict[str, Any]]


def _checklist_a(cast: Cast) -> Submission:
    signed = sign_checklist(cast.office_a_admin)
    submission_start(actor=cast.office_a_admin, copy_previous=True)
    return signed


def _reset_key(w: World) -> dict[str, Any]:
    # The token covers the last login, which signing a persona in has just changed: read it fresh.
    user = User.objects.get(pk=w.cast.a_staff.pk)
    return {"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)}


def _insurer_a(w: World) -> dict[str, Any]:
    return {"object_id": w.cast.insurer_a.pk}


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


class Access(enum.Enum):
    PUBLIC = "public"  # anyone, signed in or not
    ENROLMENT = "enrolment"  # signed in, and open before a second factor exists (ENROLMENT_VIEWS)
    SIGNED_IN = "signed in"  # any signed-in person with a second factor
    PERMISSION = "permission"  # roles holding the view's permission; objects are tenant A's
    OWNER = "owner"  # the signed-in owner of the object only (allauth: one's own passkeys)
    PLATFORM = "platform"  # the Django admin: platform admins only, 404 to everyone else


METHODS = ("GET", "POST", "PUT", "DELETE")

# Persona names of the cast (tests.personas.Cast); `test_the_walk_covers_the_whole_cast` keeps
# this list and the cast in step.
PERSONAS = (
    "platform_admin",
    "a_admin",
    "a_staff",
    "a_auditor",
    "a_operator",
    "b_admin",
    "b_staff",
    "b_auditor",
    "b_operator",
    "office_a_admin",
    "office_a_cm",
    "office_b_admin",
    "office_b_cm",
    "outsider",
)
ANONYMOUS = "anonymous"
UNENROLLED = "unenrolled"  # signed in, no second factor


@dataclass(frozen=True)
class Route:
    access: Access
    # What a persona let in gets, per method the walk uses; the first method is the route's main one.
    ok: Mapping[str, Answer] = field(default_factory=lambda: {"GET": OK})
    # Methods the view serves besides those walked (forms answer POST too); any other → 405.
    also_serves: frozenset[str] = frozenset()
    kwargs: Kwargs | None = None
    path: Callable[[World], str] | None = None  # for routes without a name
    data: Mapping[str, str] = field(default_factory=dict)  # body of POSTs in the walk
    allowed: frozenset[str] = frozenset()  # PERMISSION/OWNER: the personas let in
    not_found: frozenset[str] = frozenset()  # PERMISSION: holders of the permission, other tenant
    anonymous: Answer | None = None  # default: `ok` on public routes, the login page elsewhere
    signed_in: Answer | None = None  # PUBLIC: what a signed-in persona gets (default: `ok`)
    per_persona: Mapping[str, Answer] = field(default_factory=dict)  # main method, where one differs
    unenrolled: Answer = TO_ENROL  # ENROLMENT routes say what they answer instead
    # Methods the view does not serve but that do not get 405, with the answer and the reason.
    other_methods: Mapping[str, tuple[Answer, str]] = field(default_factory=dict)

    @property
    def main_method(self) -> str:
        return next(iter(self.ok))

    @property
    def served(self) -> frozenset[str]:
        return frozenset(self.ok) | self.also_serves

    @property
    def is_tenant_object(self) -> bool:
        return self.kwargs is not None and self.access in {Access.PERMISSION, Access.OWNER}

    def expected_for_anonymous(self) -> Answer:
        if self.anonymous is not None:
            return self.anonymous
        return self.ok[self.main_method] if self.access is Access.PUBLIC else TO_LOGIN

    def refusal(self, persona: str) -> Answer | None:
        """What a signed-in, enrolled persona gets instead of the page; None if let in."""
        if self.access is Access.PLATFORM:
            return None if persona == "platform_admin" else NOT_FOUND
        if self.access not in {Access.PERMISSION, Access.OWNER} or persona in self.allowed:
            return None
        return NOT_FOUND if self.access is Access.OWNER or persona in self.not_found else FORBIDDEN

    def expected_for(self, persona: str, method: str) -> Answer:
        if method == self.main_method and persona in self.per_persona:
            return self.per_persona[persona]
        if self.access is Access.PUBLIC and self.signed_in is not None:
            return self.signed_in
        return self.refusal(persona) or self.ok[method]

    def method_persona(self) -> str:
        """Who asks with the wrong method: someone who would otherwise get in."""
        if self.access is Access.PUBLIC:
            return ANONYMOUS
        if self.access is Access.PLATFORM:
            return "platform_admin"
        if self.allowed:
            return sorted(self.allowed)[0]
        return "a_staff"


GET_AND_POST_FORM = frozenset({"POST"})  # a form page: GET shows it, POST submits it
# People of care offices: the lookup's permission holders (an unapproved office's too: it is
# let in and finds nothing, the same answer as any miss).
OFFICE_PEOPLE = frozenset({"office_a_admin", "office_a_cm", "office_b_admin", "office_b_cm", "outsider"})
OFFICE_ADMINS = frozenset({"office_a_admin", "office_b_admin"})
REAUTH = to("account_reauthenticate")

# Django's admin views do not restrict methods; only platform admins reach them at all.
ADMIN_LENIENT = "Django admin view: serves any method (platform admins only; everyone else gets 404)"


def answering(answer: Answer, why: str, *methods: str) -> dict[str, tuple[Answer, str]]:
    """Methods a library view does not serve yet answers with ``answer`` rather than 405, and why."""
    return dict.fromkeys(methods, (answer, why))


def _model_admin_routes(app: str, model: str, obj: Kwargs) -> dict[str, Route]:
    """The six routes Django adds for one ModelAdmin, opened on one object of tenant A."""
    prefix = f"admin:{app}_{model}"
    lenient_form = answering(OK, ADMIN_LENIENT, "PUT", "DELETE")
    return {
        f"{prefix}_changelist": Route(Access.PLATFORM, also_serves=GET_AND_POST_FORM, other_methods=lenient_form),
        f"{prefix}_add": Route(Access.PLATFORM, also_serves=GET_AND_POST_FORM, other_methods=lenient_form),
        f"{prefix}_history": Route(
            Access.PLATFORM,
            kwargs=obj,
            other_methods=answering(OK, ADMIN_LENIENT, "POST", "PUT", "DELETE"),
        ),
        # Insurers are never deleted (InsurerAdmin.has_delete_permission): even the platform admin gets 403.
        f"{prefix}_delete": Route(
            Access.PLATFORM,
            ok={"GET": FORBIDDEN},
            kwargs=obj,
            also_serves=GET_AND_POST_FORM,
            other_methods=answering(FORBIDDEN, ADMIN_LENIENT, "PUT", "DELETE"),
        ),
        f"{prefix}_change": Route(
            Access.PLATFORM, kwargs=obj, also_serves=GET_AND_POST_FORM, other_methods=lenient_form
        ),
        # The bare object URL only redirects to its change page.
        f"admin/{app}/{model}/<path:object_id>/": Route(
            Access.PLATFORM,
            ok={"GET": to(f"/admin/{app}/{model}/", prefix=True)},
            path=lambda w: f"/admin/{app}/{model}/{obj(w)['object_id']}/",
            other_methods=answering(
                to(f"/admin/{app}/{model}/", prefix=True),
                "Django's RedirectView answers every method",
                *("POST", "PUT", "DELETE"),
            ),
        ),
    }


ROUTES: dict[str, Route] = {
    # -- our pages ------------------------------------------------------------------------------
    "web:home": Route(Access.SIGNED_IN),
    "web:enrol": Route(
        Access.ENROLMENT,
        # With a second factor there is nothing to enrol: back home.
        ok={"GET": TO_HOME},
        unenrolled=OK,
    ),
    "web:setlang": Route(
        Access.PUBLIC,
        ok={"POST": TO_HOME},
        other_methods=answering(
            TO_HOME,
            "Django's set_language redirects on every method; only POST sets the language",
            "GET",
            "PUT",
            "DELETE",
        ),
        unenrolled=TO_HOME,
    ),
    "accounts:security": Route(Access.SIGNED_IN),
    "accounts:sessions_end_others": Route(Access.SIGNED_IN, ok={"POST": to("accounts:security")}),
    # Everyone in the cast has an authenticator app to set up again.
    "accounts:totp_replace": Route(Access.SIGNED_IN, also_serves=GET_AND_POST_FORM),
    "accounts:user_list": Route(
        Access.PERMISSION, allowed=frozenset({"a_admin", "b_admin", "office_a_admin", "office_b_admin"})
    ),
    "accounts:account_counts": Route(Access.PERMISSION, allowed=frozenset({"a_admin", "b_admin"})),
    # Pages about one account: the platform admin holds the permission too (for insurer admins),
    # so finds insurer A's staff member nowhere, like the other tenants' admins.
    "accounts:user_detail": Route(
        Access.PERMISSION,
        ok={"GET": OK, "POST": to("/staff/", prefix=True)},
        kwargs=lambda w: {"user_id": w.cast.a_staff.pk},
        data={"reason": "退職"},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin", "office_a_admin", "office_b_admin", "platform_admin"}),
    ),
    "accounts:user_enable": Route(
        Access.PERMISSION,
        ok={"POST": to("/staff/", prefix=True)},
        kwargs=lambda w: {"user_id": w.cast.a_staff.pk},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin", "office_a_admin", "office_b_admin", "platform_admin"}),
    ),
    "accounts:user_invite": Route(
        Access.PERMISSION,
        also_serves=GET_AND_POST_FORM,
        allowed=frozenset({"a_admin", "b_admin", "office_a_admin", "office_b_admin"}),
    ),
    # Back to the account's page, whatever came of it (a_staff has a password: nothing to resend).
    "accounts:invitation_resend": Route(
        Access.PERMISSION,
        ok={"POST": to("/staff/", prefix=True)},
        kwargs=lambda w: {"user_id": w.cast.a_staff.pk},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin", "office_a_admin", "office_b_admin", "platform_admin"}),
    ),
    "accounts:invitation_cancel": Route(
        Access.PERMISSION,
        ok={"POST": to("/staff/", prefix=True)},
        kwargs=lambda w: {"user_id": w.cast.a_staff.pk},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin", "office_a_admin", "office_b_admin", "platform_admin"}),
    ),
    "accounts:second_factor_reset": Route(
        Access.PERMISSION,
        ok={"POST": to("/staff/", prefix=True)},
        kwargs=lambda w: {"user_id": w.cast.a_staff.pk},
        data={"reason": "スマートフォンの紛失(電話で本人確認済み)"},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin", "office_a_admin", "office_b_admin", "platform_admin"}),
    ),
    # The link in an invitation e-mail: the set-password form for anyone signed out; a signed-in
    # persona is asked to log out first (200), and nothing is used up either way.
    "accounts:invitation_accept": Route(
        Access.PUBLIC,
        also_serves=GET_AND_POST_FORM,
        kwargs=lambda w: {"token": w.invitation_token},
    ),
    "audit:event_list": Route(Access.PERMISSION, allowed=frozenset({"a_admin", "a_auditor", "b_admin", "b_auditor"})),
    "audit:event_detail": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"event_id": w.event_a.pk},
        allowed=frozenset({"a_admin", "a_auditor"}),
        not_found=frozenset({"b_admin", "b_auditor"}),
    ),
    "audit:verify": Route(Access.PERMISSION, ok={"POST": OK}, allowed=frozenset({"a_auditor", "b_auditor"})),
    "offices:approval_list": Route(Access.PERMISSION, allowed=frozenset({"a_admin", "a_staff", "b_admin", "b_staff"})),
    "offices:approval_detail": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"approval_id": w.cast.approval_a.pk},
        allowed=frozenset({"a_admin", "a_staff"}),
        not_found=frozenset({"b_admin", "b_staff"}),
    ),
    # Insurer admins decide; staff only read (403), another insurer's admin finds nothing (404).
    "offices:approval_decide": Route(
        Access.PERMISSION,
        ok={"POST": to("/offices/", prefix=True)},
        kwargs=lambda w: {"approval_id": w.cast.approval_a.pk},
        data={"action": "suspend", "reason": "確認のため"},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin"}),
    ),
    # Insurer admins re-send the invitation of an office admin who never set a password.
    "offices:approval_reinvite": Route(
        Access.PERMISSION,
        ok={"POST": to("/offices/", prefix=True)},
        kwargs=lambda w: {"approval_id": w.cast.approval_a.pk},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin"}),
    ),
    # Only the insurer's admins open an office's proof of designation; staff, auditors and offices get 403.
    "offices:proof_download": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"approval_id": w.cast.approval_a.pk},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin"}),
    ),
    # The public registration form; someone signed in has an account already and is sent on.
    "offices:register": Route(
        Access.PUBLIC,
        also_serves=GET_AND_POST_FORM,
        signed_in=TO_HOME,
        per_persona=dict.fromkeys(("office_a_admin", "office_b_admin"), to("offices:applications")),
    ),
    # Without a registration just made in this browser there is nothing to confirm.
    "offices:register_done": Route(
        Access.PUBLIC,
        ok={"GET": to("offices:register")},
        signed_in=TO_HOME,
        per_persona=dict.fromkeys(("office_a_admin", "office_b_admin"), to("offices:applications")),
    ),
    "offices:applications": Route(Access.PERMISSION, allowed=frozenset({"office_a_admin", "office_b_admin"})),
    "offices:application_new": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"office_a_admin", "office_b_admin"})
    ),
    # Office A's approved application: the page says it cannot be re-submitted (200), office B finds nothing.
    "offices:application_resubmit": Route(
        Access.PERMISSION,
        also_serves=GET_AND_POST_FORM,
        kwargs=lambda w: {"approval_id": w.cast.approval_a.pk},
        allowed=frozenset({"office_a_admin"}),
        not_found=frozenset({"office_b_admin"}),
    ),
    "ops:healthz": Route(Access.PUBLIC),
    # -- case data of the insurer ---------------------------------------------------------------
    "cases:case_search": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"a_staff", "b_staff"})
    ),
    "cases:case_detail": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"case_id": w.case_a.pk},
        allowed=frozenset({"a_staff"}),
        not_found=frozenset({"b_staff"}),
    ),
    "cases:case_correct": Route(
        Access.PERMISSION,
        also_serves=GET_AND_POST_FORM,
        kwargs=lambda w: {"case_id": w.case_a.pk},
        allowed=frozenset({"a_staff"}),
        not_found=frozenset({"b_staff"}),
    ),
    "cases:import_upload": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"a_staff", "b_staff"})
    ),
    "cases:import_list": Route(
        Access.PERMISSION,
        allowed=frozenset({"a_staff", "a_admin", "a_operator", "b_staff", "b_admin", "b_operator"}),
    ),
    "cases:import_detail": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"run_id": w.run_a.pk},
        allowed=frozenset({"a_staff", "a_admin", "a_operator"}),
        not_found=frozenset({"b_staff", "b_admin", "b_operator"}),
    ),
    "cases:erasure_list": Route(Access.PERMISSION, allowed=frozenset({"a_admin", "a_auditor", "b_admin", "b_auditor"})),
    "cases:erasure_detail": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"record_id": w.erasure_a.pk},
        allowed=frozenset({"a_admin", "a_auditor"}),
        not_found=frozenset({"b_admin", "b_auditor"}),
    ),
    # -- API clients (insurer admins) and the import API ----------------------------------------
    # -- care managers' lookup (offices approved by an insurer) ---------------------------------
    "lookup:lookup": Route(Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=OFFICE_PEOPLE),
    "lookup:linked_list": Route(Access.PERMISSION, allowed=OFFICE_PEOPLE),
    "lookup:linked_detail": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"case_id": w.linked_case_a.pk},
        allowed=frozenset({"office_a_admin", "office_a_cm"}),
        not_found=frozenset({"office_b_admin", "office_b_cm", "outsider"}),
    ),
    "lookup:follow": Route(
        Access.PERMISSION,
        ok={"POST": to("/lookup/linked/", prefix=True)},
        kwargs=lambda w: {"case_id": w.linked_case_a.pk},
        data={"follow": "1"},
        allowed=frozenset({"office_a_admin", "office_a_cm"}),
        not_found=frozenset({"office_b_admin", "office_b_cm", "outsider"}),
    ),
    "lookup:preferences": Route(Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=OFFICE_PEOPLE),
    "lookup:alert_list": Route(Access.PERMISSION, allowed=frozenset({"a_admin", "a_auditor", "b_admin", "b_auditor"})),
    "lookup:alert_acknowledge": Route(
        Access.PERMISSION,
        ok={"POST": to("lookup:alert_list")},
        kwargs=lambda w: {"alert_id": w.alert_a.pk},
        allowed=frozenset({"a_admin", "a_auditor"}),
        not_found=frozenset({"b_admin", "b_auditor"}),
    ),
    # -- the security checklist: office admins answer it, insurer admins and auditors read it -------
    "checklists:overview": Route(Access.PERMISSION, allowed=OFFICE_ADMINS),
    # Office A has a draft under way already: starting another is refused back to the overview.
    "checklists:start": Route(
        Access.PERMISSION,
        ok={"POST": to("checklists:answer")},
        allowed=OFFICE_ADMINS,
        per_persona={"office_a_admin": to("checklists:overview")},
    ),
    # The office's one draft; office B has none, so its admin is sent to the overview.
    "checklists:answer": Route(
        Access.PERMISSION,
        also_serves=GET_AND_POST_FORM,
        allowed=OFFICE_ADMINS,
        per_persona={"office_b_admin": to("checklists:overview")},
    ),
    "checklists:discard": Route(Access.PERMISSION, ok={"POST": to("checklists:overview")}, allowed=OFFICE_ADMINS),
    "checklists:submission_detail": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"submission_id": w.checklist_a.pk},
        allowed=frozenset({"office_a_admin"}),
        not_found=frozenset({"office_b_admin"}),
    ),
    "checklists:submission_pdf": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"submission_id": w.checklist_a.pk},
        allowed=frozenset({"office_a_admin"}),
        not_found=frozenset({"office_b_admin"}),
    ),
    "checklists:office_list": Route(
        Access.PERMISSION, allowed=frozenset({"a_admin", "a_auditor", "b_admin", "b_auditor"})
    ),
    # Office A applied to insurer A only: insurer B's readers find nothing.
    "checklists:office_submission": Route(
        Access.PERMISSION,
        kwargs=lambda w: {"submission_id": w.checklist_a.pk},
        allowed=frozenset({"a_admin", "a_auditor"}),
        not_found=frozenset({"b_admin", "b_auditor"}),
    ),
    "checklists:policy": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"a_admin", "b_admin"})
    ),
    "api:client_list": Route(Access.PERMISSION, allowed=frozenset({"a_admin", "b_admin"})),
    "api:client_create": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"a_admin", "b_admin"})
    ),
    "api:client_revoke": Route(
        Access.PERMISSION,
        ok={"POST": to("api:client_list")},
        kwargs=lambda w: {"client_id": w.api_client_a.pk},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin"}),
    ),
    # -- the insurer's settings (insurer admins) ---------------------------------------------------
    "insurers:settings": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"a_admin", "b_admin"})
    ),
    "insurers:column_mappings": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"a_admin", "b_admin"})
    ),
    "insurers:column_mapping_delete": Route(
        Access.PERMISSION,
        ok={"POST": to("insurers:column_mappings")},
        kwargs=lambda w: {"mapping_id": w.column_mapping_a.pk},
        allowed=frozenset({"a_admin"}),
        not_found=frozenset({"b_admin"}),
    ),
    "insurers:pledge": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"a_admin", "b_admin"})
    ),
    "insurers:mail_texts": Route(Access.PERMISSION, allowed=frozenset({"a_admin", "b_admin"})),
    # Not a tenant object: the kind is the same for every insurer, each admin edits their own wording.
    "insurers:mail_text_edit": Route(
        Access.PERMISSION,
        also_serves=GET_AND_POST_FORM,
        path=lambda w: reverse("insurers:mail_text_edit", kwargs={"kind": "decision_approve"}),
        allowed=frozenset({"a_admin", "b_admin"}),
    ),
    "insurers:mail_text_reset": Route(
        Access.PERMISSION,
        ok={"POST": to("/settings/mail-texts/", prefix=True)},
        path=lambda w: reverse("insurers:mail_text_reset", kwargs={"kind": "decision_approve"}),
        allowed=frozenset({"a_admin", "b_admin"}),
    ),
    # -- insurers and their admins (platform admins) ----------------------------------------------
    "insurers:insurer_list": Route(Access.PERMISSION, allowed=frozenset({"platform_admin"})),
    "insurers:insurer_create": Route(
        Access.PERMISSION, also_serves=GET_AND_POST_FORM, allowed=frozenset({"platform_admin"})
    ),
    # Insurers are the platform admin's to see, all of them: not a tenant object (by path, not kwargs).
    "insurers:insurer_admin_invite": Route(
        Access.PERMISSION,
        also_serves=GET_AND_POST_FORM,
        path=lambda w: reverse("insurers:insurer_admin_invite", kwargs={"insurer_id": w.cast.insurer_a.pk}),
        allowed=frozenset({"platform_admin"}),
    ),
    # Bearer tokens only: a session is no credential, so everyone without a token gets 401 (a
    # signed-in person without a second factor is still sent to enrolment first, as everywhere).
    "api:v1:cases_batch": Route(Access.PUBLIC, ok={"POST": UNAUTHORIZED}),
    "api:v1:cases_csv": Route(Access.PUBLIC, ok={"POST": UNAUTHORIZED}),
    "api:v1:import_status": Route(Access.PUBLIC, ok={"GET": UNAUTHORIZED}, kwargs=lambda w: {"import_id": 1}),
    "api:v1:openapi-json": Route(Access.PUBLIC),
    "api:v1:api-root": Route(
        Access.PUBLIC,
        ok={"GET": NOT_FOUND},
        other_methods=answering(
            NOT_FOUND, "ninja's root view (docs page disabled) answers 404 whatever the method", "POST", "PUT", "DELETE"
        ),
    ),
    "ops:status": Route(Access.PERMISSION, allowed=frozenset({"a_operator", "b_operator"})),
    # -- allauth, under /accounts/ ---------------------------------------------------------------
    "account_login": Route(Access.PUBLIC, also_serves=GET_AND_POST_FORM, signed_in=TO_HOME),
    "account_logout": Route(
        Access.ENROLMENT,
        also_serves=GET_AND_POST_FORM,
        # allauth sends an anonymous visitor to the login page without a way back: nothing to log out.
        anonymous=to("account_login"),
        unenrolled=OK,
    ),
    "account_inactive": Route(Access.PUBLIC),
    "account_reauthenticate": Route(Access.ENROLMENT, also_serves=GET_AND_POST_FORM, unenrolled=OK),
    "account_change_password": Route(Access.SIGNED_IN, also_serves=GET_AND_POST_FORM),
    "account_reset_password": Route(Access.PUBLIC, also_serves=GET_AND_POST_FORM),
    "account_reset_password_done": Route(Access.PUBLIC),
    "account_reset_password_from_key": Route(
        Access.PUBLIC,
        # A valid key is moved into the session and the browser sent to a URL without it.
        ok={"GET": to("/accounts/password/reset/key/", prefix=True)},
        also_serves=GET_AND_POST_FORM,
        kwargs=_reset_key,
    ),
    "account_reset_password_from_key_done": Route(Access.PUBLIC),
    "mfa_index": Route(Access.SIGNED_IN),
    # Second step of the login: without a pending login there is nothing to confirm.
    "mfa_authenticate": Route(
        Access.PUBLIC, ok={"GET": to("account_login")}, also_serves=GET_AND_POST_FORM, signed_in=TO_HOME
    ),
    "mfa_reauthenticate": Route(
        Access.ENROLMENT,
        also_serves=GET_AND_POST_FORM,
        # Without an authenticator allauth asks for the password instead.
        unenrolled=to("account_reauthenticate"),
    ),
    "mfa_activate_totp": Route(
        Access.ENROLMENT,
        # Already has one: allauth offers to deactivate it instead.
        ok={"GET": to("mfa_deactivate_totp")},
        also_serves=GET_AND_POST_FORM,
        unenrolled=OK,
    ),
    "mfa_deactivate_totp": Route(Access.SIGNED_IN, also_serves=GET_AND_POST_FORM),
    "mfa_view_recovery_codes": Route(Access.SIGNED_IN),
    "mfa_generate_recovery_codes": Route(Access.SIGNED_IN, also_serves=GET_AND_POST_FORM),
    "mfa_download_recovery_codes": Route(Access.SIGNED_IN),
    "mfa_list_webauthn": Route(Access.SIGNED_IN),
    "mfa_add_webauthn": Route(Access.ENROLMENT, also_serves=GET_AND_POST_FORM, unenrolled=OK),
    # Only someone with a passkey can confirm with one; the others are asked for their password.
    "mfa_reauthenticate_webauthn": Route(
        Access.SIGNED_IN, ok={"GET": REAUTH}, also_serves=GET_AND_POST_FORM, per_persona={"a_staff": OK}
    ),
    "mfa_remove_webauthn": Route(
        Access.OWNER,
        also_serves=GET_AND_POST_FORM,
        kwargs=lambda w: {"pk": w.passkey_a.pk},
        allowed=frozenset({"a_staff"}),
    ),
    "mfa_edit_webauthn": Route(
        Access.OWNER,
        also_serves=GET_AND_POST_FORM,
        kwargs=lambda w: {"pk": w.passkey_a.pk},
        allowed=frozenset({"a_staff"}),
    ),
    # Passkey login: a GET outside the browser's script goes back to the login page.
    "mfa_login_webauthn": Route(
        Access.PUBLIC, ok={"GET": to("account_login")}, also_serves=GET_AND_POST_FORM, signed_in=TO_HOME
    ),
    # -- Django admin (platform admins only) ------------------------------------------------------
    "admin:index": Route(Access.PLATFORM, other_methods=answering(OK, ADMIN_LENIENT, "POST", "PUT", "DELETE")),
    # One login for the whole service; a platform admin who lands here is sent to the admin.
    "admin:login": Route(
        Access.PLATFORM,
        ok={"GET": to("admin:index")},
        other_methods=answering(
            to("admin:index"), "PlatformAdminSite.login only redirects, whatever the method", "POST", "PUT", "DELETE"
        ),
    ),
    # Signed out already: to the login page, which then opens the admin's index (as Django does).
    "admin:logout": Route(Access.PLATFORM, ok={"POST": OK}, anonymous=to("account_login")),
    # Changing the password goes through allauth's form, which asks for the current one and audits.
    "admin:password_change": Route(Access.PLATFORM, ok={"GET": to("account_change_password")}),
    "admin:password_change_done": Route(Access.PLATFORM),
    # Django answers 403 when the request names no admin field with autocomplete (none here).
    "admin:autocomplete": Route(Access.PLATFORM, ok={"GET": FORBIDDEN}),
    "admin:jsi18n": Route(Access.PLATFORM),
    # Insurers have no public page to "view on site": 404 even for the platform admin.
    "admin:view_on_site": Route(
        Access.PLATFORM,
        ok={"GET": NOT_FOUND},
        kwargs=lambda w: {
            "content_type_id": ContentType.objects.get_for_model(w.cast.insurer_a).pk,
            "object_id": w.cast.insurer_a.pk,
        },
        other_methods=answering(NOT_FOUND, ADMIN_LENIENT, "POST", "PUT", "DELETE"),
    ),
    "admin:app_list": Route(
        Access.PLATFORM,
        kwargs=lambda w: {"app_label": "insurers"},
        other_methods=answering(OK, ADMIN_LENIENT, "POST", "PUT", "DELETE"),
    ),
    **_model_admin_routes("insurers", "insurer", _insurer_a),
    # Any other path under /admin/: 404 for the platform admin too, login for everyone else.
    "admin/(?P<url>.*)$": Route(
        Access.PLATFORM,
        ok={"GET": NOT_FOUND},
        path=lambda w: "/admin/no-such-page/",
        other_methods=answering(NOT_FOUND, ADMIN_LENIENT, "POST", "PUT", "DELETE"),
    ),
}


# ---------------------------------------------------------------------------------------------
# Walking
# ---------------------------------------------------------------------------------------------


def project_routes() -> dict[str, URLPattern]:
    """Every URL pattern of the project, keyed by its namespaced name (or its pattern if unnamed)."""
    found: dict[str, URLPattern] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner or namespace)
            elif entry.name:
                found[f"{namespace}:{entry.name}" if namespace else entry.name] = entry
            else:
                found[prefix + str(entry.pattern)] = entry

    walk(get_resolver(), "", "")
    return found


def _url(name: str, route: Route, w: World) -> str:
    if route.path is not None:
        return route.path(w)
    return reverse(name, kwargs=route.kwargs(w) if route.kwargs else None)


signed_in = signed_in_recently


@dataclass(frozen=True)
class Check:
    who: str  # a persona name, ANONYMOUS or UNENROLLED
    method: str
    expected: Answer
    kind: str  # "persona" or "method"


def checks_for(route: Route) -> list[Check]:
    """Everything the walk asks of one route; the summary counts the same list."""
    checks = [
        Check(ANONYMOUS, route.main_method, route.expected_for_anonymous(), "persona"),
        Check(UNENROLLED, route.main_method, route.unenrolled, "persona"),
    ]
    for method in route.ok:
        checks += [Check(p, method, route.expected_for(p, method), "persona") for p in PERSONAS]
    for method in METHODS:
        if method in route.served:
            continue
        expected = route.other_methods[method][0] if method in route.other_methods else NOT_ALLOWED
        checks.append(Check(route.method_persona(), method, expected, "method"))
    return checks


_ID = re.compile(r"""\sid=["']([^"']+)["']""")


def _duplicate_ids(response: HttpResponseBase) -> str | None:
    """Two elements of one page with the same id: a label or an error message then names the
    wrong box for a screen reader (WCAG 4.1.1/1.3.1). Every HTML page of the walk is checked."""
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return None
    ids = _ID.findall(getattr(response, "content", b"").decode())
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    return f"a page with repeated element ids {repeated}" if repeated else None


@transaction.atomic
def _ask(w: World, name: str, route: Route, check: Check) -> str | None:
    """One request in a savepoint that is rolled back, so no check sees another's changes."""
    try:
        if check.who == ANONYMOUS:
            client = Client()
        elif check.who == UNENROLLED:
            client = signed_in(w.unenrolled)
        else:
            client = signed_in(getattr(w.cast, check.who))
        url = _url(name, route, w)
        body = urlencode(dict(route.data)) if check.method == "POST" else ""
        response = client.generic(check.method, url, data=body, content_type="application/x-www-form-urlencoded")
        wrong = check.expected.mismatch(response, url) or _duplicate_ids(response)
        if wrong is None:
            return None
        return f"{check.who:>15} {check.method:<6} {url}: expected {check.expected.describe()}, got {wrong}"
    finally:
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------------------------
# The table is complete and agrees with the code
# ---------------------------------------------------------------------------------------------


def test_every_route_is_classified() -> None:
    routes = set(project_routes())
    unclassified = sorted(routes - set(ROUTES))
    stale = sorted(set(ROUTES) - routes)
    assert not unclassified, f"add these routes to ROUTES in tests/test_routes.py: {unclassified}"
    assert not stale, f"these ROUTES entries match no URL any more: {stale}"


def test_the_enrolment_routes_are_exactly_those_the_middleware_lets_through() -> None:
    open_before_enrolment = {
        name
        for name, route in ROUTES.items()
        if route.access is Access.ENROLMENT or (route.access is Access.PUBLIC and route.unenrolled is not TO_ENROL)
    }
    assert open_before_enrolment == set(ENROLMENT_VIEWS)


def test_permission_routes_let_in_exactly_the_roles_their_view_asks_for(cast: Cast) -> None:
    patterns = project_routes()
    for name, route in ROUTES.items():
        required: tuple[Permission, ...] = getattr(patterns[name].callback, "required_permissions", ())
        if route.access is not Access.PERMISSION:
            assert not required, f"{name} asks for {required} but is classified {route.access.value}"
            continue
        assert required, f"{name} is classified 'permission' but its view has no require_permission"
        holders = {p for p in PERSONAS if any(getattr(cast, p).can(perm) for perm in required)}
        assert route.allowed | route.not_found == holders, name
        assert route.allowed, f"{name}: nobody is let in"
        assert set(PERSONAS) - holders, f"{name}: no persona to be refused with 403"


def _other_tenant(persona: str) -> str:
    for mine, theirs in (("office_a_", "office_b_"), ("a_", "b_")):
        if persona.startswith(mine):
            return theirs + persona.removeprefix(mine)
    raise AssertionError(f"{persona} belongs to no tenant A")


def test_every_tenant_object_route_refuses_the_same_role_of_tenant_b() -> None:
    for name, route in ROUTES.items():
        if not route.is_tenant_object:
            continue
        for persona in route.allowed:
            counterpart = _other_tenant(persona)
            assert route.expected_for(counterpart, route.main_method) == NOT_FOUND, (name, counterpart)


def test_the_walk_covers_the_whole_cast(cast: Cast) -> None:
    assert set(PERSONAS) == set(cast.everyone())


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_route_answers_each_persona_as_its_class_requires(world: World, name: str) -> None:
    route = ROUTES[name]
    failures = [failure for check in checks_for(route) if (failure := _ask(world, name, route, check)) is not None]
    assert not failures, f"{name} ({route.access.value}):\n" + "\n".join(failures)


def test_non_platform_users_get_404_on_the_admin_and_the_platform_admin_gets_in(world: World) -> None:
    index = ROUTES["admin:index"]
    for persona in PERSONAS:
        check = Check(persona, "GET", index.expected_for(persona, "GET"), "persona")
        assert _ask(world, "admin:index", index, check) is None
    assert index.expected_for("platform_admin", "GET") == OK


def _all_checks() -> Iterator[Check]:
    for route in ROUTES.values():
        yield from checks_for(route)


def test_the_walk_reports_how_much_it_checked() -> None:
    """The figures docs quote (DESIGN §8): run with -rA or -s to see them."""
    checks = list(_all_checks())
    personas = sum(1 for c in checks if c.kind == "persona")
    methods = sum(1 for c in checks if c.kind == "method")
    lenient = sum(len(r.other_methods) for r in ROUTES.values())
    print(
        f"\nrole × tenant walk: {len(ROUTES)} routes, {personas} (route, persona) checks "
        f"({len(PERSONAS)} personas + anonymous + no second factor), {methods} wrong-method checks "
        f"({lenient} recorded as not answering 405)"
    )
    assert len(ROUTES) == len(project_routes())
    assert personas >= len(ROUTES) * (len(PERSONAS) + 2)
