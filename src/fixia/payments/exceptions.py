from typing import Any

from fixia.errors import Conflict, DomainError, Forbidden, NotFound


class PaymentNotFound(NotFound):
    """No such payment, or the caller may not see it."""

    code, title = "payment_not_found", "Payment not found"


class PayableJobNotFound(NotFound):
    """No such job, or the caller is not a party to it."""

    code, title = "job_not_found", "Job not found"


class NotJobClient(Forbidden):
    """Only the job's client pays for it."""

    code, title = "not_job_client", "Only the job's client can pay for it"


class JobNotPayable(Conflict):
    """The job is cancelled, so it cannot be paid."""

    code, title = "job_not_payable", "This job cannot be paid"


class JobAlreadyPaid(Conflict):
    """The job already has an approved payment."""

    code, title = "job_already_paid", "This job is already paid"


class IdempotencyKeyReused(Conflict):
    """The idempotency key was already used for a different request."""

    code, title = "idempotency_key_reused", "Idempotency key reused with a different request"


class SubscriptionAlreadyActive(Conflict):
    """The user already has an active, unexpired subscription."""

    code, title = "subscription_active", "You already have an active subscription"


class SubscriptionNotRenewable(Conflict):
    """A cancelled subscription, or a plan no longer sold, cannot renew."""

    code, title = "subscription_not_renewable", "This subscription cannot renew"


class SubscriptionNotFound(NotFound):
    """The user has no subscription of that kind."""

    code, title = "subscription_not_found", "Subscription not found"


class EmailNotVerifiedForPayment(Forbidden):
    """Only users with a verified e-mail may buy a plan."""

    code, title = "email_not_verified", "Verify your e-mail first"


class UnknownProvider(NotFound):
    """No payment provider by that name is configured here."""

    code, title = "payment_provider_not_found", "Payment provider not found"


class InvalidWebhookSignature(DomainError):
    """The webhook's signature is missing or wrong."""

    status, code, title = 401, "invalid_webhook_signature", "Invalid webhook signature"


class ProviderRejected(DomainError):
    """The payment provider refused the request (it is up, but said no)."""

    status, code, title = 502, "payment_provider_error", "The payment provider refused"


class ProviderUnavailable(DomainError):
    """The payment provider is down, slow or its circuit breaker is open: try again later."""

    status, code, title = 503, "payment_provider_unavailable", "Payment provider unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(retry_after)


class SandboxDisabled(NotFound):
    """The sandbox checkout does not exist in production."""

    code, title = "not_found", "Not found"


class PreferenceNotFound(NotFound):
    """The checkout preference is unknown to the provider."""

    code, title = "preference_not_found", "Checkout preference not found"
