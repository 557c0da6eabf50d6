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
    "verification_requested": N_("Recibimos tu pedido de verificación."),
    "verification_decided": N_("Decisión registrada."),
    "all_read": N_("Marcamos todas como leídas."),
    "photo_uploaded": N_("Recibimos la foto: la estamos procesando."),
    "photo_deleted": N_("Eliminaste la foto."),
    "photo_refused": N_(
        "No pudimos aceptar la foto: usá JPEG, PNG, WebP o GIF de hasta 5 MB, con descripción."
    ),
    "document_uploaded": N_("Recibimos el documento."),
    "portfolio_saved": N_("Guardamos tu trabajo en el portfolio."),
    "archived": N_("Archivaste la conversación."),
    "unarchived": N_("La conversación volvió a la bandeja de entrada."),
    "reported": N_("Recibimos tu denuncia: la revisa un administrador."),
    "plan_proposed": N_("Propusiste el plan de etapas: falta que la otra parte lo acepte."),
    "plan_accepted": N_("Aceptaste el plan de etapas."),
    "milestone_done": N_("Marcaste la etapa como terminada."),
    "milestone_approve": N_("Aprobaste la etapa: el dinero se libera al profesional."),
    "milestone_dispute": N_("Abriste una disputa: el dinero queda retenido."),
    "payout_linked": N_("Vinculaste tu cuenta para cobrar."),
    "milestone_resolved": N_("Disputa resuelta."),
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
    "invalid_cuit": N_("El CUIT/CUIL no es válido: revisá el dígito verificador."),
    "verification_pending": N_("Ya tenés un pedido de ese tipo esperando revisión."),
    "already_verified": N_("Eso ya está verificado."),
    "verification_not_pending": N_("Ese pedido ya fue resuelto."),
    "email_not_confirmed": N_("Confirmá tu correo primero."),
    "unsupported_media": N_("El archivo no es una imagen (JPEG, PNG, WebP, GIF) o PDF válido."),
    "payload_too_large": N_("El archivo es demasiado grande."),
    "media_limit_reached": N_("Llegaste al máximo de fotos o de espacio de tu plan."),
    "conversation_not_found": N_("No encontramos esa conversación."),
    "conversation_context_not_found": N_("No encontramos ese trabajo, propuesta o solicitud."),
    "message_too_long": N_("El mensaje puede tener hasta 2000 caracteres."),
    "plan_does_not_add_up": N_("Los montos de las etapas tienen que sumar el precio acordado."),
    "plan_locked": N_("El plan de etapas ya no se puede cambiar."),
    "invalid_refund": N_(
        "El monto a devolver tiene que ser mayor que cero y menor que lo retenido."
    ),
    "milestone_state_conflict": N_("La etapa no admite ese paso ahora."),
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
    "approved": N_("Aprobada"),
}


def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


BADGE_LABELS = {
    "identidad_verificada": N_("Identidad verificada"),
    "habilidades_verificadas": N_("Habilidades verificadas"),
    "negocio_verificado": N_("Negocio verificado"),
    "antecedentes_verificados": N_("Antecedentes verificados"),
    "telefono_verificado": N_("Teléfono verificado"),
    "email_verificado": N_("E-mail verificado"),
    "domicilio_verificado": N_("Domicilio verificado"),
    "top_rated_plus": N_("Top Rated Plus"),
}
COMPONENT_LABELS = {
    "reviews": N_("Reseñas"),
    "completion": N_("Trabajos terminados"),
    "reliability": N_("Entregas a tiempo"),
    "communication": N_("Rapidez de respuesta"),
    "verification": N_("Verificaciones"),
}


def badge_label(value: str) -> str:
    return BADGE_LABELS.get(value, value)


def component_label(value: str) -> str:
    return COMPONENT_LABELS.get(value, value)


VERIFICATION_LABELS = {
    "identity": N_("Identidad"),
    "skills": N_("Habilidades"),
    "business": N_("Negocio"),
    "background_check": N_("Antecedentes"),
    "phone": N_("Teléfono"),
    "email": N_("E-mail"),
    "address": N_("Domicilio"),
}


def verification_label(value: str) -> str:
    return VERIFICATION_LABELS.get(value, value)
