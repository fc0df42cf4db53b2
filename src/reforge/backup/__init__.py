"""Backups of a Reforge database file: a folder of Parquet files plus a manifest of
row counts and checksums per table, restored only when every check passes."""

from reforge.backup.archive import BackupManifest, create_backup, restore_backup, verify_backup

__all__ = ["BackupManifest", "create_backup", "restore_backup", "verify_backup"]
