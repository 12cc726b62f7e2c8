"""Filling in the public registration form in tests: valid data, and the objects it should make."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from shinchoku.insurers.models import Insurer
from shinchoku.insurers.selectors import pledge_current
from shinchoku.offices.proofs import ProofUpload, proof_upload
from tests.documents import pdf

NUMBER = "4370100051"  # a new office, check digit right
NUMBER_BAD_CHECK_DIGIT = "4370100052"
OFFICE_NAME = "ひかり居宅介護支援事業所"
APPLICANT_EMAIL = "hikari-admin@test.example"


def proof_file(data: bytes | None = None, name: str = "指定通知書.pdf", content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, pdf() if data is None else data, content_type=content_type)


def application_data(*insurers: Insurer, proof: Any = None, **overrides: Any) -> dict[str, Any]:
    """POST data of the registration form applying to ``insurers``, each pledge accepted as shown now."""
    data: dict[str, Any] = {
        "number": NUMBER,
        "name": OFFICE_NAME,
        "kind": "home_care_support",
        "phone": "096-123-4567",
        "contact_name": "山田 花子",
        "applicant_name": "中村 一郎",
        "applicant_email": APPLICANT_EMAIL,
        "insurers": [str(i.pk) for i in insurers],
        "proof": proof if proof is not None else proof_file(),
    }
    for insurer in insurers:
        data[f"pledge_{insurer.pk}"] = "on"
        data[f"pledge_digest_{insurer.pk}"] = pledge_current(insurer).digest
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def upload(data: bytes | None = None, name: str = "指定通知書.pdf") -> ProofUpload:
    return proof_upload(pdf() if data is None else data, name)
