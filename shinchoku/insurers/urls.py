from django.urls import URLPattern, path

from shinchoku.insurers import views

app_name = "insurers"
urlpatterns: list[URLPattern] = [
    path("insurers/", views.insurer_list, name="insurer_list"),
    path("insurers/new/", views.insurer_create, name="insurer_create"),
    path("insurers/<int:insurer_id>/admins/invite/", views.insurer_admin_invite, name="insurer_admin_invite"),
    path("settings/", views.insurer_settings, name="settings"),
    path("settings/column-mappings/", views.column_mappings, name="column_mappings"),
    path(
        "settings/column-mappings/<int:mapping_id>/delete/",
        views.column_mapping_delete,
        name="column_mapping_delete",
    ),
    path("settings/pledge/", views.pledge, name="pledge"),
    path("settings/mail-texts/", views.mail_texts, name="mail_texts"),
    path("settings/mail-texts/<slug:kind>/", views.mail_text_edit, name="mail_text_edit"),
    path("settings/mail-texts/<slug:kind>/reset/", views.mail_text_reset, name="mail_text_reset"),
]
