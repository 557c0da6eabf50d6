from __future__ import annotations

from fixia.catalog.models import Service
from fixia.catalog.schemas import CategoryRef, ProfessionalSummary, ServiceOut


def service_out(service: Service) -> ServiceOut:
    """What anyone may see of a listing: never the professional's contact details."""
    pro = service.professional
    profile = pro.profile
    assert profile is not None
    return ServiceOut(
        id=service.id,
        title=service.title,
        description=service.description,
        price=service.price,
        currency=service.currency,
        category=CategoryRef.model_validate(service.category),
        subcategory_id=service.subcategory_id,
        tags=service.tags,
        main_image_url=service.main_image_url,
        delivery_time_days=service.delivery_time_days,
        revisions_included=service.revisions_included,
        active=service.active,
        featured=service.featured,
        view_count=service.view_count,
        created_at=service.created_at,
        updated_at=service.updated_at,
        professional=ProfessionalSummary(
            id=pro.id,
            name=pro.name,
            location=pro.location,
            verified=pro.verified,
            level=profile.level,
            rating=profile.rating,
            review_count=profile.review_count,
            avatar_url=pro.avatar_url,
        ),
    )
