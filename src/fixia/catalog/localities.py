"""The localities of Chubut (data/localidades.toml) and the distances between them.

Professionals are located by locality, not by street: a client asks "plomero en Trelew", and
about thirty towns spread over hundreds of kilometres. Distances are therefore a table of
haversine lookups computed here once, and the SQL only compares the slug of a professional's
locality (users.locality; see catalog/geo.py). PostGIS or earthdistance would index points we
do not have, and the embedded SQLite default would still need this code.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fixia.catalog.analysis import fold, words

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Locality:
    slug: str
    name: str
    lat: float
    lon: float
    aliases: tuple[str, ...] = ()

    def spellings(self) -> list[tuple[str, ...]]:
        """Each way of writing it as folded words: ("playa", "union"), ("comodoro",)."""
        return [tuple(words(s)) for s in (self.name, *self.aliases)]


@cache
def all_localities() -> dict[str, Locality]:
    raw = tomllib.loads(
        resources.files("fixia.catalog").joinpath("data/localidades.toml").read_text("utf-8")
    )
    return {
        slug: Locality(
            slug=slug,
            name=entry["nombre"],
            lat=float(entry["lat"]),
            lon=float(entry["lon"]),
            aliases=tuple(entry.get("alias", [])),
        )
        for slug, entry in raw.items()
    }


def distance_km(a: Locality, b: Locality) -> float:
    """Great-circle distance (haversine): good to a fraction of a percent at this scale."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def within(center: Locality, radius_km: float) -> list[tuple[Locality, float]]:
    """Localities within radius_km of center, nearest first. A bounding box discards the far
    ones before the haversine: a degree of latitude is ~111 km everywhere."""
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * math.cos(math.radians(center.lat)))
    near = [
        (loc, distance_km(center, loc))
        for loc in all_localities().values()
        if abs(loc.lat - center.lat) <= dlat and abs(loc.lon - center.lon) <= dlon
    ]
    return sorted((p for p in near if p[1] <= radius_km), key=lambda p: (p[1], p[0].slug))


def resolve(text: str) -> Locality | None:
    """The locality a free-text location names ("Trelew, Chubut", "trelew", "Pto Madryn")."""
    found = find_in(words(text))
    return found[0] if found else None


def slug_of(location: str | None) -> str | None:
    """The locality a professional's location names ("Trelew, Chubut" -> "trelew"): its first
    part decides, so "Rawson 123, Trelew" is Rawson."""
    if not location:
        return None
    found = resolve(location.split(",")[0]) or resolve(location)
    return found.slug if found else None


def find_in(tokens: list[str]) -> tuple[Locality, int, int] | None:
    """The first locality named in folded tokens, longest spelling first: (locality, start,
    end) so the caller can remove those words from the text query."""
    spellings = sorted(
        ((sp, loc) for loc in all_localities().values() for sp in loc.spellings()),
        key=lambda item: -len(item[0]),
    )
    for start in range(len(tokens)):
        for spelling, loc in spellings:
            end = start + len(spelling)
            if tuple(tokens[start:end]) == spelling:
                return loc, start, end
    return None


def by_name(value: str) -> Locality | None:
    """A locality by slug or exact name (accents and case ignored)."""
    folded = fold(value).strip()
    for loc in all_localities().values():
        if folded in (loc.slug, fold(loc.name)):
            return loc
    return None
