"""Reads of API clients and, for an authenticated client, of its insurer's imports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from shinchoku.accounts.permissions import Permission
from shinchoku.api.models import ApiClient
from shinchoku.cases.models import ImportRun

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


def api_clients_for_actor(actor: User) -> QuerySet[ApiClient]:
    """An insurer admin sees the clients of their own insurer; nobody else sees any."""
    if not actor.can(Permission.API_CLIENT_MANAGE) or actor.insurer_id is None:
        return ApiClient.objects.none()
    return (
        ApiClient.objects.filter(insurer_id=actor.insurer_id)
        .select_related("insurer", "created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )


def api_client_for_actor(actor: User, client_id: int) -> ApiClient:
    """404 for "no such client" and "another insurer's" alike."""
    try:
        return api_clients_for_actor(actor).get(pk=client_id)
    except ApiClient.DoesNotExist:
        raise Http404 from None


def api_client_by_token_hash(digest: str) -> ApiClient | None:
    return ApiClient.objects.select_related("insurer").filter(token_hash=digest).first()


def import_run_for_client(client: ApiClient, run_id: int) -> ImportRun:
    """An import of the client's insurer (any channel); 404 for missing and other insurers' alike."""
    try:
        return ImportRun.objects.get(insurer_id=client.insurer_id, pk=run_id)
    except ImportRun.DoesNotExist:
        raise Http404 from None
