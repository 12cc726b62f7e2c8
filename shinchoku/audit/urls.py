from django.urls import path

from shinchoku.audit import views

app_name = "audit"
urlpatterns = [
    path("audit/", views.event_list, name="event_list"),
    path("audit/<int:event_id>/", views.event_detail, name="event_detail"),
    path("audit/verify/", views.verify, name="verify"),
]
