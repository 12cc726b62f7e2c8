from django.urls import path
from django.views.i18n import set_language

from shinchoku.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("account/second-factor/", views.enrol, name="enrol"),
    path("i18n/setlang/", set_language, name="setlang"),
]
