"""The client address feeds the per-IP limits and every audit row: it must not be forgeable."""

from __future__ import annotations

from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from shinchoku.web.http import client_ip


def _request(remote: str, forwarded: str | None = None) -> HttpRequest:
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_a_proxy_a_forged_forwarded_header_is_ignored() -> None:
    assert client_ip(_request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_address_it_appended_is_used_not_one_the_client_wrote() -> None:
    # The client sends "X-Forwarded-For: 1.1.1.1"; nginx appends the real peer.
    assert client_ip(_request("10.0.0.2", "1.1.1.1, 203.0.113.7")) == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_entry_from_the_right_is_used() -> None:
    assert client_ip(_request("10.0.0.2", "1.1.1.1, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_missing_forwarded_header_falls_back_to_the_peer() -> None:
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"
