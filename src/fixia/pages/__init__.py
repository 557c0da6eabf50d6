"""Pages that compose several domains: each belongs to the page, not to one of the domains it
shows, so no domain imports another just to draw it. Above every domain; only the
composition root (`fixia.main.view_routers`) imports it."""
