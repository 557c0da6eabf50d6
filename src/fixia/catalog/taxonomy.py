"""The 14 Fixia categories and their subcategories. Ids are derived from slugs, so every
database (SQLite, PostgreSQL, tests, production) agrees on them."""

from __future__ import annotations

import re
import unicodedata
import uuid

NAMESPACE = uuid.UUID("6f1c1f0e-5b1a-4c55-9d7e-2f3a8f0c1a00")

CATEGORIES: list[tuple[str, str, bool, list[str]]] = [
    (
        "Tecnología e Informática",
        "laptop",
        True,
        ["Reparación de PC", "Redes y WiFi", "Desarrollo web", "Soporte técnico", "Celulares"],
    ),
    (
        "Diseño y Arte Digital",
        "palette",
        False,
        ["Diseño gráfico", "Logos e identidad", "Ilustración", "Fotografía", "Video y edición"],
    ),
    ("Marketing", "megaphone", False, ["Redes sociales", "Publicidad online", "SEO", "Contenidos"]),
    (
        "Oficios y Reparaciones",
        "wrench",
        True,
        [
            "Plomería",
            "Electricidad",
            "Gasista",
            "Carpintería",
            "Albañilería",
            "Pintura",
            "Cerrajería",
            "Herrería",
            "Refrigeración y aire acondicionado",
        ],
    ),
    (
        "Limpieza",
        "sparkles",
        True,
        ["Limpieza de hogar", "Limpieza de oficinas", "Limpieza de vidrios", "Lavado de alfombras"],
    ),
    ("Educación", "book", False, ["Apoyo escolar", "Idiomas", "Música", "Preparación de exámenes"]),
    (
        "Gastronomía",
        "utensils",
        False,
        ["Catering", "Cocina a domicilio", "Pastelería", "Asado y parrilla"],
    ),
    ("Moda y Costura", "scissors", False, ["Arreglos de ropa", "Confección", "Diseño de moda"]),
    ("Belleza", "heart", False, ["Peluquería", "Manicura", "Maquillaje", "Estética", "Masajes"]),
    ("Transporte y Mudanzas", "truck", True, ["Mudanzas", "Fletes", "Traslados", "Envíos"]),
    ("Mascotas", "paw", False, ["Paseo de perros", "Peluquería canina", "Cuidado de mascotas"]),
    ("Eventos", "party", False, ["Animación", "Sonido e iluminación", "Decoración", "DJ"]),
    (
        "Consultoría",
        "briefcase",
        False,
        ["Contabilidad", "Asesoría legal", "Recursos humanos", "Gestoría"],
    ),
    (
        "Servicios Generales",
        "home",
        True,
        ["Jardinería", "Mantenimiento", "Fumigación", "Cuidado de personas"],
    ),
]


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def category_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"category:{slug}")


def subcategory_id(category_slug: str, slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"subcategory:{category_slug}/{slug}")


def category_rows() -> list[dict[str, object]]:
    return [
        {
            "id": category_id(slugify(name)),
            "name": name,
            "slug": slugify(name),
            "icon": icon,
            "popular": popular,
            "position": i,
        }
        for i, (name, icon, popular, _subs) in enumerate(CATEGORIES)
    ]


def subcategory_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name, _icon, _popular, subs in CATEGORIES:
        cat_slug = slugify(name)
        for j, sub in enumerate(subs):
            rows.append(
                {
                    "id": subcategory_id(cat_slug, slugify(sub)),
                    "category_id": category_id(cat_slug),
                    "name": sub,
                    "slug": slugify(sub),
                    "position": j,
                }
            )
    return rows
