"""Fixtures shared by every test: the cast of personas and signed-in clients."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from shinchoku.accounts.models import User
from tests.personas import Cast, build_cast

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls made from tests that also drive the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    # Rate-limit counters and TOTP "used" marks live in the cache; no test inherits another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db: None) -> Cast:
    return build_cast()


@pytest.fixture
def sign_in(client: Client) -> Callable[[User], Client]:
    """A client signed in as the user, second factor already enrolled (force_login skips the form)."""

    def _sign_in(user: User) -> Client:
        client.force_login(user)
        return client

    return _sign_in
