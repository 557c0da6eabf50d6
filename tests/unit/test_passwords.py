"""The password policy: every rule on its own, then together."""

from __future__ import annotations

import pytest

from fixia.platform.passwords import MAX_LENGTH, MIN_LENGTH, common_passwords, password_problems

LENGTH = "must be 12 to 128 characters long"
UPPER = "must contain an upper-case letter"
LOWER = "must contain a lower-case letter"
DIGIT = "must contain a digit"
SPECIAL = "must contain a special character"
COMMON = "is too common"
SEQUENCE = "must not contain a run of 4 sequential characters"
REPEAT = "must not repeat a character 4 or more times in a row"


@pytest.mark.parametrize(
    "password",
    [
        "Patagonia-Viento-82!",
        "Pat-82!xQzWm",  # exactly 12
        "Pq7!" * 32,  # exactly 128
        "Ñandú-Rápido-2024#",  # non-ASCII letters count as upper and lower case
        "Trelew 1865 ~ Gales",  # a space is fine, ~ is the special character
        "Aaa-Bbb-Ccc-123x",  # three repeats and three-long runs are allowed
        "Zorro.Gris.135.Río",
    ],
)
def test_valid_passwords_pass(password: str) -> None:
    assert password_problems(password) == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Pat-82!xQzW", LENGTH),  # 11
        ("Pq7!" * 32 + "x", LENGTH),  # 129
        ("patagonia-viento-82!", UPPER),
        ("PATAGONIA-VIENTO-82!", LOWER),
        ("Patagonia-Viento-xy!", DIGIT),
        ("PatagoniaViento82x", SPECIAL),
        ("Argentina2024!", COMMON),
        ("aRGENTINA2024!", COMMON),  # the list is compared case-insensitively
        ("Viento-1234-Sur!", SEQUENCE),
        ("Viento-4321-Sur!", SEQUENCE),
        ("Viento-6789-Sur!", SEQUENCE),
        ("Viento-9876-Sur!", SEQUENCE),
        ("Viento-abcd-Sur!9", SEQUENCE),
        ("Viento-DCBA-Sur!9", SEQUENCE),
        ("Viento-wxyz-Sur!9", SEQUENCE),
        ("Viento-QWER-Sur!9", SEQUENCE),
        ("Viento-poiu-Sur!9", SEQUENCE),
        ("Viento-asdf-Sur!9", SEQUENCE),
        ("Viento-lkjh-Sur!9", SEQUENCE),
        ("Viento-zxcv-Sur!9", SEQUENCE),
        ("Viento-mnbv-Sur!9", SEQUENCE),
        ("Viento-9aaaa-Sur!", REPEAT),
        ("Viento-9!!!!-Sur", REPEAT),
        ("Viento-9-Sur-0000", REPEAT),
    ],
)
def test_each_rule_is_reported_alone(password: str, problem: str) -> None:
    assert password_problems(password) == [problem]


@pytest.mark.parametrize("special", sorted("!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~"))
def test_every_listed_special_character_counts(special: str) -> None:
    assert password_problems(f"Patagonia{special}Viento82") == []


def test_repeats_are_case_sensitive_but_sequences_are_not() -> None:
    assert password_problems("Viento-aAaA-Sur!9") == []
    assert password_problems("Viento-aBcD-Sur!9") == [SEQUENCE]


def test_three_long_runs_are_allowed_but_not_four() -> None:
    assert password_problems("Viento-123-Sur!x") == []
    assert password_problems("Viento-123-Sur!x4") == []
    assert SEQUENCE in password_problems("Viento-1234-Sur!x")


def test_every_problem_is_listed_at_once() -> None:
    assert password_problems("") == [LENGTH, UPPER, LOWER, DIGIT, SPECIAL]
    assert password_problems("aaaa") == [LENGTH, UPPER, DIGIT, SPECIAL, REPEAT]
    assert password_problems("Qwerty") == [LENGTH, DIGIT, SPECIAL, COMMON, SEQUENCE]
    assert password_problems("abc123") == [LENGTH, UPPER, SPECIAL, COMMON]


def test_common_list_is_loaded_lowercase_and_nonempty() -> None:
    common = common_passwords()
    assert len(common) > 100
    assert all(p == p.lower() and p == p.strip() and p for p in common)
    assert "argentina2024!" in common
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)
