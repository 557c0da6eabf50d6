"""Server-rendered pages: templates, translations, assets, CSRF and browser sessions."""
