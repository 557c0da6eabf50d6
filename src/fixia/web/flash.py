"""Short notices after a redirect (`?ok=code`) and the user-facing text of domain errors.

Only known codes are shown, so the query string cannot inject text into a page. Texts are
message ids; templates translate them at render time.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, when the page is rendered."""
    return message


NOTICES = {
    "registered": N_("Te enviamos un correo para confirmar tu cuenta."),
    "verified": N_("¡Listo! Tu correo está confirmado. Ya podés ingresar."),
    "logged_out": N_("Cerraste la sesión."),
    "reset_sent": N_("Si la cuenta existe, te enviamos un correo con los pasos a seguir."),
    "password_changed": N_("Cambiaste tu contraseña. Ingresá de nuevo."),
    "saved": N_("Cambios guardados."),
    "service_created": N_("Publicaste tu servicio."),
    "service_deleted": N_("Eliminaste el servicio."),
    "project_created": N_("Publicaste tu proyecto."),
    "applied": N_("Enviaste tu propuesta."),
    "accepted": N_("Aceptaste la propuesta: ya hay un trabajo en curso."),
    "rejected": N_("Rechazaste la propuesta."),
    "job_updated": N_("Actualizamos el trabajo."),
    "reviewed": N_("¡Gracias por tu reseña!"),
    "requested": N_("Enviaste tu solicitud."),
    "subscribed": N_("Tu suscripción está activa."),
    "payment_rejected": N_("El pago fue rechazado."),
    "moderated": N_("Moderación registrada."),
    "all_read": N_("Marcamos todas como leídas."),
    "photo_uploaded": N_("Recibimos la foto: la estamos procesando."),
    "photo_deleted": N_("Eliminaste la foto."),
    "photo_refused": N_(
        "No pudimos aceptar la foto: usá JPEG, PNG, WebP o GIF de hasta 5 MB, con descripción."
    ),
    "document_uploaded": N_("Recibimos el documento."),
    "portfolio_saved": N_("Guardamos tu trabajo en el portfolio."),
}

# Domain error codes with a Spanish text; anything else shows its (English) detail.
DOMAIN_MESSAGES = {
    "invalid_credentials": N_("El correo o la contraseña no son correctos."),
    "email_not_verified": N_("Confirmá tu correo antes de ingresar."),
    "email_taken": N_("Ya hay una cuenta con ese correo."),
    "invalid_link_token": N_("El enlace no es válido o ya venció."),
    "password_reused": N_("Usaste esa contraseña hace poco; elegí otra."),
    "rate_limited": N_("Demasiados intentos. Esperá un momento y probá de nuevo."),
    "plan_limit_exceeded": N_("Llegaste al límite de tu plan."),
    "csrf_failed": N_("El formulario venció; recargá la página y probá de nuevo."),
    "role_required": N_("Tu tipo de cuenta no permite esta acción."),
    "validation_error": N_("Revisá los datos ingresados."),
    "unsupported_media": N_("El archivo no es una imagen (JPEG, PNG, WebP, GIF) o PDF válido."),
    "payload_too_large": N_("El archivo es demasiado grande."),
    "media_limit_reached": N_("Llegaste al máximo de fotos o de espacio de tu plan."),
}


def message(code: str | None) -> str | None:
    return NOTICES.get(code) if code else None


def domain_message(code: str, detail: str) -> str:
    return DOMAIN_MESSAGES.get(code, detail)


STATUS_LABELS = {
    "open": N_("Abierto"),
    "pending": N_("Pendiente"),
    "accepted": N_("Aceptada"),
    "rejected": N_("Rechazada"),
    "withdrawn": N_("Retirada"),
    "cancelled": N_("Cancelado"),
    "in_progress": N_("En curso"),
    "not_started": N_("Sin empezar"),
    "completion_requested": N_("Finalización pedida"),
    "completed": N_("Terminado"),
    "disputed": N_("En disputa"),
    "expired": N_("Vencida"),
    "closed": N_("Cerrado"),
    "matched": N_("Asignado"),
}


def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)
