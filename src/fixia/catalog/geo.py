"""Locality conditions in SQL: where a professional lives, whom they serve, how far away.

A professional's locality is the start of users.location ("Trelew, Chubut"). The distances
come from catalog.localities (haversine over the data file); the SQL only compares names,
which both engines do alike, and needs no extension (see localities.py for why).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, String, case, cast, false, func, literal, or_

from fixia.accounts.models import ProfessionalProfile, User
from fixia.catalog.analysis import fold
from fixia.catalog.localities import Locality, all_localities, distance_km, within

# Farther than any two places in Chubut: professionals whose locality is not known sort last.
UNKNOWN_KM = 10_000.0
MAX_SERVICE_RADIUS_KM = 500


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def lives_in(loc: Locality) -> ColumnElement[bool]:
    """users.location names this locality, with or without its accents."""
    location = func.lower(User.location)
    spellings = dict.fromkeys([loc.name.lower(), fold(loc.name)])
    return or_(*(location.like(_like(s), escape="\\") for s in spellings))


def distance_to(center: Locality) -> ColumnElement[float]:
    """Kilometres from the professional's locality to center (UNKNOWN_KM when unknown)."""
    others = sorted(all_localities().values(), key=lambda loc: distance_km(center, loc))
    # Localities whose name starts with another's come first, so the longer name wins.
    others.sort(key=lambda loc: -len(loc.name))
    whens = [(lives_in(loc), round(distance_km(center, loc), 1)) for loc in others]
    return case(*whens, else_=UNKNOWN_KM).cast(Float)


def _listed(loc: Locality) -> ColumnElement[bool]:
    listed = cast(ProfessionalProfile.service_localities, String)
    return listed.like(f'%"{loc.slug}"%')


def serves(center: Locality, default_radius_km: int) -> ColumnElement[bool]:
    """The professional covers center: it is within their radius of their own locality, or
    they list it. Only localities within the largest allowed radius can qualify."""
    radius = func.coalesce(ProfessionalProfile.service_radius_km, default_radius_km)
    by_radius = [
        lives_in(loc) & (radius >= literal(km)) for loc, km in within(center, MAX_SERVICE_RADIUS_KM)
    ]
    return or_(_listed(center), *by_radius)


def near(center: Locality, radius_km: float) -> ColumnElement[bool]:
    """The professional's own locality is within radius_km of center."""
    return or_(false(), *(lives_in(loc) for loc, _ in within(center, radius_km)))


def location_text(value: str) -> Any:
    """A location that names no known locality: the old substring match on users.location."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(User.location).like(f"%{escaped}%", escape="\\")
