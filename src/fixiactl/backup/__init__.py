"""Backups and disaster recovery: pgBackRest, point-in-time restores, drills."""

from fixiactl.backup.service import create_restore_point

__all__ = ["create_restore_point"]
