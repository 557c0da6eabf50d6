"""Photos of work, galleries, portfolios, avatars and verification documents (docs/media.md)."""
