"""The import API under /api/v1/ (namespace ``api:v1``) and the insurer admin's client pages.

ninja's ``api.urls`` is (patterns, "ninja", "v1"); with ``urls_namespace="api:v1"`` ninja reverses
its own routes as ``api:v1:…``, which is where this app's namespace puts them.
"""

from django.urls import URLPattern, URLResolver, path

from shinchoku.api.endpoints import api
from shinchoku.api.views import client_create, client_list, client_revoke

app_name = "api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("api-clients/", client_list, name="client_list"),
    path("api-clients/new/", client_create, name="client_create"),
    path("api-clients/<int:client_id>/revoke/", client_revoke, name="client_revoke"),
]
