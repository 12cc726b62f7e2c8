from django.urls import path

from shinchoku.ops import views

app_name = "ops"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("ops/", views.status, name="status"),
]
