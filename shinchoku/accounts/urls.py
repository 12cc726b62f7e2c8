from django.urls import path

from shinchoku.accounts import views

app_name = "accounts"
urlpatterns = [
    path("account/", views.security, name="security"),
    path(
        "account/sessions/end-others/",
        views.sessions_end_others,
        name="sessions_end_others",
    ),
    path("account/second-factor/app/replace/", views.totp_replace, name="totp_replace"),
    path("staff/", views.user_list, name="user_list"),
    path("staff/counts/", views.account_counts, name="account_counts"),
    path("staff/<int:user_id>/", views.user_detail, name="user_detail"),
    path("staff/invite/", views.user_invite, name="user_invite"),
    path("staff/<int:user_id>/enable/", views.user_enable, name="user_enable"),
    path("staff/<int:user_id>/invitation/resend/", views.invitation_resend, name="invitation_resend"),
    path("staff/<int:user_id>/invitation/cancel/", views.invitation_cancel, name="invitation_cancel"),
    path("staff/<int:user_id>/second-factor/reset/", views.second_factor_reset, name="second_factor_reset"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
