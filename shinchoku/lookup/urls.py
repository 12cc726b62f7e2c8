from django.urls import URLPattern, path

from shinchoku.lookup import views

app_name = "lookup"
# No route takes a 被保険者番号: lookups are POSTed, linked cases are addressed by their row id.
urlpatterns: list[URLPattern] = [
    path("lookup/", views.lookup, name="lookup"),
    path("lookup/linked/", views.linked_list, name="linked_list"),
    path("lookup/linked/<int:case_id>/", views.linked_detail, name="linked_detail"),
    path("lookup/linked/<int:case_id>/follow/", views.follow, name="follow"),
    path("lookup/preferences/", views.preferences, name="preferences"),
    path("lookup/alerts/", views.alert_list, name="alert_list"),
    path("lookup/alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
]
