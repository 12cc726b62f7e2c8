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
    path("staff/", views.user_list, name="user_list"),
    path("staff/counts/", views.account_counts, name="account_counts"),
    path("staff/<int:user_id>/", views.user_detail, name="user_detail"),
    path("staff/<int:user_id>/enable/", views.user_enable, name="user_enable"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
