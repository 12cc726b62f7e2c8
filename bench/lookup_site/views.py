"""The baseline of the lookup benchmark: the same indexed SELECT as the care-manager lookup,
with nothing around it.

It is served by the same gunicorn, Django and middleware stack as the product (security
headers, sessions, CSRF, authentication, CSP, axes … all still run on every request), but it
needs no session (the benchmark sends it no cookies), is exempt from CSRF, checks no
permission or limit, writes no audit row and decrypts nothing. It parses the lookup form's
fields minimally, computes the same blind index and runs the query ``case_by_key`` runs for
the case (insurer number + insured_index + applied_on + application_kind, joined to the
insurer, through the natural-key index; without the approval column, as there is no office
here), and answers with the case's stage in plain text, or "not found".
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shinchoku.cases.identity import insured_index
from shinchoku.cases.models import Case
from shinchoku.cases.progress import case_progress

TEXT = "text/plain; charset=utf-8"


@csrf_exempt
@require_POST
def bare(request: HttpRequest) -> HttpResponse:
    try:
        insurer_number = request.POST["insurer"].strip()
        insured_number = request.POST["insured_number"].strip()
        applied_on = date.fromisoformat(request.POST["applied_on_date"].strip())
        application_kind = request.POST["application_kind"].strip()
        index = insured_index(insurer_number, insured_number)
    except (KeyError, ValueError):
        return HttpResponseBadRequest("bad request", content_type=TEXT)
    case = (
        Case.objects.filter(
            insurer__number=insurer_number,
            insured_index=index,
            applied_on=applied_on,
            application_kind=application_kind,
        )
        .select_related("insurer")
        .first()
    )
    if case is None:
        return HttpResponse("not found", content_type=TEXT)
    return HttpResponse(case_progress(case, today=timezone.localdate()).stage, content_type=TEXT)
