from django.urls import path

from shinchoku.offices import views

app_name = "offices"
urlpatterns = [
    path("offices/", views.approval_list, name="approval_list"),
    path("offices/<int:approval_id>/", views.approval_detail, name="approval_detail"),
    path("offices/<int:approval_id>/decide/", views.approval_decide, name="approval_decide"),
    path("offices/<int:approval_id>/proof/", views.proof_download, name="proof_download"),
    path("offices/<int:approval_id>/reinvite/", views.approval_reinvite, name="approval_reinvite"),
    # The public registration form, and the office admin's own applications.
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("office/applications/", views.applications, name="applications"),
    path("office/applications/new/", views.application_new, name="application_new"),
    path(
        "office/applications/<int:approval_id>/resubmit/",
        views.application_resubmit,
        name="application_resubmit",
    ),
]
