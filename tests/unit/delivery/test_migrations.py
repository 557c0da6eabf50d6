"""The migration gate reads migration files (never imports them) and classifies each op."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixiactl.deploy.migrations import classify_file, scan_migrations

HEADER = (
    'revision = "{rev}"\ndown_revision = {down}\n\n'
    "import sqlalchemy as sa\nfrom alembic import op\n\n\ndef upgrade() -> None:\n"
)


def write(tmp: Path, rev: str, down: str | None, body: str) -> Path:
    path = tmp / f"{rev}.py"
    down_text = f'"{down}"' if down else "None"
    path.write_text(HEADER.format(rev=rev, down=down_text) + body)
    return path


@pytest.mark.parametrize(
    "body",
    [
        '    op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))\n',
        '    op.add_column("t", sa.Column("c", sa.Text(), nullable=True))\n',
        '    op.add_column("t", sa.Column("c", sa.Integer(), nullable=False, server_default="0"))'
        "\n",
        '    op.execute("CREATE INDEX CONCURRENTLY ix ON t (c)")\n',
        '    op.execute(f"ALTER TABLE t ADD COLUMN {NAME} text")\n',
        # autogenerate names constraints and indexes through op.f(): a name, not a change
        '    op.create_table("t", sa.Column("id", sa.Integer), sa.PrimaryKeyConstraint('
        '"id", name=op.f("pk_t")))\n',
    ],
)
def test_expand_operations(tmp_path: Path, body: str) -> None:
    assert classify_file(write(tmp_path, "a1", None, body)).kind == "expand"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('    op.drop_column("t", "c")\n', "drop_column"),
        ('    op.drop_table("t")\n', "drop_table"),
        ('    op.alter_column("t", "c", new_column_name="d")\n', "renames"),
        ('    op.alter_column("t", "c", type_=sa.BigInteger())\n', "type"),
        ('    op.alter_column("t", "c", nullable=False)\n', "NOT NULL"),
        ('    op.add_column("t", sa.Column("c", sa.Text(), nullable=False))\n', "NOT NULL"),
        ('    op.execute("ALTER TABLE t RENAME COLUMN a TO b")\n', "renames"),
        ('    op.execute("ALTER TABLE t ALTER COLUMN a TYPE bigint")\n', "type"),
        ('    op.execute("UPDATE t SET a = 1")\n', "unrecognised"),
        ('    op.some_future_op("t")\n', "unrecognised"),
    ],
)
def test_contract_operations(tmp_path: Path, body: str, why: str) -> None:
    migration = classify_file(write(tmp_path, "a1", None, body))
    assert migration.kind == "contract"
    assert any(why in reason for reason in migration.reasons), migration.reasons


def test_pending_follows_the_chain_from_the_applied_revision(tmp_path: Path) -> None:
    write(tmp_path, "r1", None, '    op.create_table("a")\n')
    write(tmp_path, "r2", "r1", '    op.create_table("b")\n')
    write(tmp_path, "r3", "r2", '    op.drop_table("a")\n')
    found = scan_migrations(tmp_path)
    assert found.heads() == ["r3"]
    assert [m.revision for m in found.pending({"r1"})] == ["r2", "r3"]
    assert [m.revision for m in found.pending({"r3"})] == []
    # The database is ahead of this release (rolling back after an expand): nothing to run.
    assert found.pending({"r9_newer"}) == []


def test_the_projects_own_migrations_are_readable() -> None:
    versions = Path(__file__).resolve().parents[3] / "src" / "fixia" / "migrations" / "versions"
    found = scan_migrations(versions)
    assert len(found.heads()) == 1
    assert found.migrations["0003"].kind == "expand"
    assert found.migrations["0009_trust"].kind == "expand"  # new tables only
    assert found.migrations["0015_trgm"].kind == "expand"  # a new table, its rows and index
