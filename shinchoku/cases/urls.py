from django.urls import URLPattern, path

from shinchoku.cases import views

app_name = "cases"
urlpatterns: list[URLPattern] = [
    path("cases/", views.case_search, name="case_search"),
]
