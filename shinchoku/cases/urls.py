from django.urls import URLPattern, path

from shinchoku.cases import views

app_name = "cases"
# No route takes a 被保険者番号: searches are POSTed, cases are addressed by their row id.
urlpatterns: list[URLPattern] = [
    path("cases/", views.case_search, name="case_search"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/correct/", views.case_correct, name="case_correct"),
    path("cases/imports/", views.import_list, name="import_list"),
    path("cases/imports/new/", views.import_upload, name="import_upload"),
    path("cases/imports/<int:run_id>/", views.import_detail, name="import_detail"),
    path("cases/erasures/", views.erasure_list, name="erasure_list"),
    path("cases/erasures/<int:record_id>/", views.erasure_detail, name="erasure_detail"),
]
