from django.urls import URLPattern, path

from shinchoku.checklists import views

app_name = "checklists"
urlpatterns: list[URLPattern] = [
    # The office admin's: one draft per office, so the draft needs no id in its address.
    path("checklist/", views.overview, name="overview"),
    path("checklist/start/", views.start, name="start"),
    path("checklist/draft/", views.answer, name="answer"),
    path("checklist/draft/discard/", views.discard, name="discard"),
    path("checklist/<int:submission_id>/", views.submission_detail, name="submission_detail"),
    path("checklist/<int:submission_id>/pdf/", views.submission_pdf, name="submission_pdf"),
    # The insurer's admins and auditors.
    path("checklists/offices/", views.office_list, name="office_list"),
    path("checklists/offices/submissions/<int:submission_id>/", views.office_submission, name="office_submission"),
    path("settings/checklist/", views.policy, name="policy"),
]
