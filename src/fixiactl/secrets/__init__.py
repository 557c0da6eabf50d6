"""Secret rotation for a stack's environment (never imports fixia)."""
