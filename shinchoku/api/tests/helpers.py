"""Tokens and requests for the API tests."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.api.models import ApiClient
from shinchoku.api.services import api_client_create
from shinchoku.cases.models import Case

BATCH_URL = "api:v1:cases_batch"
CSV_URL = "api:v1:cases_csv"


def issue(
    admin: User, *, name: str = "認定支援システム", allowed_ips: list[str] | None = None
) -> tuple[ApiClient, str]:
    assert admin.insurer is not None
    return api_client_create(
        actor=admin,
        insurer=admin.insurer,
        name=name,
        expires_at=timezone.now() + timedelta(days=30),
        allowed_ips=allowed_ips or [],
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_batch(token: str, body: Any, *, client: Client | None = None, **extra: Any) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
    return (client or Client()).post(
        reverse(BATCH_URL), data=raw, content_type="application/json", headers=bearer(token), **extra
    )


def post_csv(token: str, data: bytes, *, name: str = "export.csv", **fields: str) -> Any:
    payload: dict[str, Any] = {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields}
    return Client().post(reverse(CSV_URL), data=payload, content_type=MULTIPART_CONTENT, headers=bearer(token))


def case(number: str = "1234567890", applied: str = "2025-02-06", kind: str = "1", **more: str) -> dict[str, str]:
    return {"insured_number": number, "applied_on": applied, "application_kind": kind, **more}


def csv_bytes(header: list[str], rows: list[list[str]], *, encoding: str = "utf-8") -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def case_count(insurer_id: int) -> int:
    return Case.objects.filter(insurer_id=insurer_id).count()
