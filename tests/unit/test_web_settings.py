from __future__ import annotations

import pytest
from pydantic import ValidationError

from fixia.config import Settings, WebSettings


def test_cookies_follow_the_public_url_scheme_by_default() -> None:
    assert Settings(public_url="https://fixia.com.ar").web.cookie_secure is True
    assert Settings(public_url="http://127.0.0.1:8000").web.cookie_secure is False


def test_production_cookies_are_secure_and_cannot_be_turned_off() -> None:
    with pytest.raises(ValidationError, match="cookie_secure"):
        Settings(env="production", web=WebSettings(cookie_secure=False))


def test_an_explicit_choice_wins_outside_production() -> None:
    assert (
        Settings(public_url="https://x", web=WebSettings(cookie_secure=False)).web.cookie_secure
        is False
    )
