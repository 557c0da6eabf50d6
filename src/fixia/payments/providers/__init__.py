"""Payment providers behind one Protocol; `build_provider` picks one from settings."""

from __future__ import annotations

from fixia.config import Settings
from fixia.payments.providers.base import (
    CheckoutRequest,
    LinkedAccount,
    PaymentProvider,
    PayoutRequest,
    Preference,
    ProviderPayment,
    ProviderPaymentMissing,
    ProviderPayout,
    ProviderRefund,
    RefundRequest,
    WebhookNotice,
)
from fixia.payments.providers.mercadopago import MercadoPagoProvider
from fixia.payments.providers.recurring import (
    CHARGE_TOPIC,
    Agreement,
    AgreementRequest,
    ChargeRequest,
    RecurringCharge,
    RecurringProvider,
)
from fixia.payments.providers.sandbox import SandboxDelivery, SandboxProvider

__all__ = [
    "CHARGE_TOPIC",
    "Agreement",
    "AgreementRequest",
    "ChargeRequest",
    "CheckoutRequest",
    "LinkedAccount",
    "MercadoPagoProvider",
    "PaymentProvider",
    "PayoutRequest",
    "Preference",
    "ProviderPayment",
    "ProviderPaymentMissing",
    "ProviderPayout",
    "ProviderRefund",
    "RecurringCharge",
    "RecurringProvider",
    "RefundRequest",
    "SandboxDelivery",
    "SandboxProvider",
    "WebhookNotice",
    "build_provider",
]


def build_provider(settings: Settings) -> PaymentProvider:
    if settings.payments.provider == "mercadopago":
        return MercadoPagoProvider(settings)
    return SandboxProvider(settings)
