"""The product's URLs unchanged, plus ``bench/bare/`` (the benchmark's baseline)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from bench.lookup_site import views
from shinchoku.urls import handler400, handler403, handler404, handler500
from shinchoku.urls import urlpatterns as product_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns: list[URLPattern | URLResolver] = [
    *product_urlpatterns,
    path("bench/bare/", views.bare, name="bench_bare"),
]
