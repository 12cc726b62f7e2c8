"""Passwords are hashed with Argon2id at pinned parameters; older hashes upgrade at login (DESIGN T4)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.hashers import Argon2idHasher
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def test_new_hashes_are_argon2id_with_64_mib_3_passes_and_2_lanes() -> None:
    encoded = make_password("orange lantern under a quiet bridge")
    assert encoded.startswith("argon2$argon2id$v=19$m=65536,t=3,p=2$")
    assert isinstance(identify_hasher(encoded), Argon2idHasher)


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert make_password(PASSWORD) != make_password(PASSWORD)


def test_a_pbkdf2_hash_is_upgraded_to_argon2id_at_login(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert user.password.startswith("pbkdf2_sha256$")

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=65536,t=3,p=2$")
    assert user.check_password(PASSWORD)


def test_an_argon2_hash_with_weaker_parameters_is_upgraded_at_login(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    weaker = Argon2idHasher()
    weaker.memory_cost, weaker.time_cost, weaker.parallelism = 19456, 2, 1
    user.password = weaker.encode(PASSWORD, weaker.salt())
    user.save(update_fields=["password"])

    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    user.refresh_from_db()
    assert "$m=65536,t=3,p=2$" in user.password
