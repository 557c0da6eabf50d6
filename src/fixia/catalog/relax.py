"""Zero results is the last resort: the steps a search takes when the strict query finds
nothing, and the words the page uses to say what it did.

1. strict: every group the client asked for, in the locality's area;
2. corrected: the same after typo correction ("¿Quisiste decir …?", catalog/spelling.py);
3. any_term: at least one group, ranked by how many match;
4. wider_area: whoever is nearest, when nobody serves the locality;
and when all fail, the categories the words point to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fixia.catalog import taxonomy
from fixia.catalog.localities import resolve
from fixia.catalog.query import ParsedQuery, parse
from fixia.catalog.schemas import CategoryRef, SearchInfo, ServiceQuery
from fixia.catalog.search import Plan
from fixia.catalog.vocabulary import load


@dataclass(frozen=True)
class Step:
    name: str
    plan: Plan
    parsed: ParsedQuery
    did_you_mean: str | None = None


def _first(query: ServiceQuery, text: str, radius_km: int) -> Step:
    parsed = parse(text, load(), detect_locality=not query.location)
    locality = parsed.locality or (resolve(query.location) if query.location else None)
    plan = Plan(groups=parsed.groups, locality=locality, default_radius_km=radius_km)
    return Step("strict", plan, parsed)


def strict_plan(query: ServiceQuery, radius_km: int) -> Plan:
    """The first plan the API runs for query (what the benchmark's database floor times)."""
    return _first(query, query.q or "", radius_km).plan


def strict(query: ServiceQuery, radius_km: int) -> Step:
    return _first(query, query.q or "", radius_km)


def relaxable(step: Step) -> bool:
    """A plain listing (no words, no locality) has nothing to relax."""
    return bool(step.plan.groups) or step.plan.locality is not None


def ladder(query: ServiceQuery, radius_km: int, fixed: str | None) -> list[Step]:
    """Every step, strict first; `fixed` is the query with its typos corrected, if any
    (catalog/spelling.py: it may ask the database, so the caller finds it)."""
    steps = [strict(query, radius_km)]
    current = steps[0]
    if not relaxable(current):
        return steps
    if fixed is not None:
        current = _first(query, fixed, radius_km)
        current = Step("corrected", current.plan, current.parsed, did_you_mean=fixed)
        steps.append(current)
    if len(current.plan.groups) > 1:
        steps.append(replace(current, name="any_term", plan=replace(current.plan, any_=True)))
    if current.plan.locality is not None:
        wider = replace(steps[-1].plan, area_filter=False)
        steps.append(replace(current, name="wider_area", plan=wider))
    return steps


def _related(parsed: ParsedQuery) -> list[CategoryRef]:
    names = {taxonomy.slugify(name): name for name, *_ in taxonomy.CATEGORIES}
    return [
        CategoryRef(id=taxonomy.category_id(slug), name=names[slug], slug=slug)
        for slug in parsed.categories
        if slug in names
    ]


def _messages(found: Step | None) -> list[str]:
    if found is None:
        return ["No encontramos avisos para esa búsqueda. Probá con otras palabras."]
    said: list[str] = []
    if found.did_you_mean:
        said.append(f"Mostramos resultados para «{found.did_you_mean}».")
    if found.plan.any_:
        said.append("Ningún aviso tenía todas las palabras: mostramos los que tienen alguna.")
    if not found.plan.area_filter and found.plan.locality is not None:
        said.append(
            f"Nadie atiende en {found.plan.locality.name} todavía: mostramos los más cercanos."
        )
    return said


def info(step: Step, *, found: bool, tried: list[str]) -> SearchInfo:
    """What to tell the client about `step`: the one that found results, or the last tried."""
    locality = step.plan.locality
    return SearchInfo(
        locality=locality.name if locality else None,
        did_you_mean=step.did_you_mean,
        relaxed=tried,
        related_categories=[] if found else _related(step.parsed),
        messages=_messages(step if found else None),
    )
