"""Contact details are masked in the formats people actually type; quotes are left alone."""

from __future__ import annotations

import pytest

from fixia.conversations.masking import PLACEHOLDER, mask

PHONES = [
    "+54 9 280 455-1234",
    "+5492804551234",
    "+54 280 4551234",
    "0280 4551234",
    "0280-4551234",
    "(0280) 445-1234",
    "0280 15 455 1234",
    "0280-15-455-1234",
    "15-455-1234",
    "15 4551234",
    "2804551234",
    "280 455 1234",
    "455-1234",
    "11 5555-5555",
    "+54 11 5555 5555",
    "(011) 4555-5555",
    "2 8 0 4 5 5 1 2 3 4",
    "280.455.1234",
    "+54 (280) 455-1234",
]
EMAILS = [
    "juan.perez@gmail.com",
    "JUAN_PEREZ+obras@Hotmail.com.ar",
    "juan arroba gmail punto com",
    "juan [at] hotmail [dot] com",
    "juan(arroba)yahoo(punto)com.ar",
    "plomeria@municipio.gob.ar",
]
LINKS = [
    "https://wa.me/5492804551234",
    "wa.me/5492804551234",
    "https://api.whatsapp.com/send?phone=5492804551234",
    "chat.whatsapp.com/AbCdEf123",
    "https://t.me/juanplomero",
    "t.me/juanplomero",
    "telegram.me/juanplomero",
]
LEFT_ALONE = [
    "El presupuesto es $1.500.000 con materiales",
    "Son 250000 pesos, la mitad por adelantado",
    "Empiezo el 12-03-2026 a las 10:30",
    "El 12/03/2026 puedo ir",
    "Son 3 ambientes de 45 m2 y 2 baños",
    "Precio final 1.234,50",
    "Llego entre las 9 y las 13 hs",
    "Calle 25 de Mayo 1234, Rawson",
    "Te cobro $ 85000 por el trabajo",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phones_are_masked(phone: str) -> None:
    masked = mask(f"Llamame al {phone} cuando puedas")
    assert masked.kinds == ("phone",)
    assert masked.text == f"Llamame al {PLACEHOLDER} cuando puedas"


@pytest.mark.parametrize("email", EMAILS)
def test_emails_are_masked(email: str) -> None:
    masked = mask(f"Escribime a {email} y te paso fotos")
    assert masked.kinds == ("email",)
    assert masked.text == f"Escribime a {PLACEHOLDER} y te paso fotos"


@pytest.mark.parametrize("link", LINKS)
def test_messaging_links_are_masked(link: str) -> None:
    masked = mask(f"Hablemos por acá: {link}")
    assert "link" in masked.kinds
    assert masked.text == f"Hablemos por acá: {PLACEHOLDER}"


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_quotes_dates_and_addresses_stay(text: str) -> None:
    assert mask(text).text == text
    assert mask(text).kinds == ()


def test_several_kinds_in_one_message() -> None:
    masked = mask("Cel 0280-15-455-1234, mail juan@gmail.com o t.me/juan")
    assert set(masked.kinds) == {"phone", "email", "link"}
    assert masked.text.count(PLACEHOLDER) == 3
    assert "455" not in masked.text and "gmail" not in masked.text
