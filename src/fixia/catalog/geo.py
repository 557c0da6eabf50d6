"""Locality conditions in SQL: where a professional lives, whom they serve, how far away.

A professional's locality is `users.locality`, the slug their location names (kept in step by
the User model). The distances come from catalog.localities (haversine over the data file);
the SQL only compares slugs, which both engines do alike and cheaply, and needs no extension
(see localities.py for why).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, String, case, cast, false, func

from fixia.accounts.models import ProfessionalProfile, User
from fixia.catalog.localities import Locality, all_localities, distance_km, within

# Farther than any two places in Chubut: professionals whose locality is not known sort last.
UNKNOWN_KM = 10_000.0
MAX_SERVICE_RADIUS_KM = 500


def lives_in(loc: Locality) -> ColumnElement[bool]:
    return User.locality == loc.slug


def distance_to(center: Locality) -> ColumnElement[float]:
    """Kilometres from the professional's locality to center (UNKNOWN_KM when unknown)."""
    km = {loc.slug: round(distance_km(center, loc), 1) for loc in all_localities().values()}
    return case(km, value=User.locality, else_=UNKNOWN_KM).cast(Float)


def _listed(loc: Locality) -> ColumnElement[bool]:
    listed = cast(ProfessionalProfile.service_localities, String)
    return listed.like(f'%"{loc.slug}"%')


def serves(center: Locality, default_radius_km: int) -> ColumnElement[bool]:
    """The professional covers center: it is within their radius of their own locality, or
    they list it. Only localities within the largest allowed radius can qualify."""
    radius = func.coalesce(ProfessionalProfile.service_radius_km, default_radius_km)
    candidates = [loc.slug for loc, _ in within(center, MAX_SERVICE_RADIUS_KM)]
    by_radius = User.locality.in_(candidates) & (radius >= distance_to(center))
    return _listed(center) | by_radius


def near(center: Locality, radius_km: float) -> ColumnElement[bool]:
    """The professional's own locality is within radius_km of center."""
    slugs = [loc.slug for loc, _ in within(center, radius_km)]
    return User.locality.in_(slugs) if slugs else false()


def location_text(value: str) -> Any:
    """A location that names no known locality: the old substring match on users.location."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(User.location).like(f"%{escaped}%", escape="\\")
