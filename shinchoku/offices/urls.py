from django.urls import path

from shinchoku.offices import views

app_name = "offices"
urlpatterns = [
    path("offices/", views.approval_list, name="approval_list"),
    path("offices/<int:approval_id>/", views.approval_detail, name="approval_detail"),
    path("offices/<int:approval_id>/decide/", views.approval_decide, name="approval_decide"),
]
