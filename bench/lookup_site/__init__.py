"""A Django site for the lookup benchmark only: the product plus one bare baseline view.

Never imported by the product: ``shinchoku.urls`` does not know ``bench/bare/``; only a server
started with ``DJANGO_SETTINGS_MODULE=bench.lookup_site.settings`` serves it.
"""
