"""Migration safety gate: classify Alembic migrations as expand or contract.

Migration files are read as Python syntax trees, never imported: fixiactl must not import
the service, and a release's migrations must be judged before they run. Each `op.*` call in
`upgrade()` is classified; raw SQL in `op.execute` is classified by its statements. Anything
not recognised counts as contract: the gate errs towards refusing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

# batch_alter_table only groups batch_op calls, which are classified one by one.
EXPAND_OPS = frozenset(
    {"create_table", "create_index", "bulk_insert", "get_bind", "get_context", "batch_alter_table"}
)
# Helpers that only compute a name (`op.f("ix_...")`, autogenerate's convention marker):
# no schema change of their own; the operation they sit in is classified.
NAMING_HELPERS = frozenset({"f"})
CONTRACT_OPS = frozenset(
    {
        "drop_table",
        "drop_column",
        "drop_index",
        "drop_constraint",
        "rename_table",
        "create_unique_constraint",
        "create_foreign_key",
        "create_check_constraint",
    }
)
CONTRACT_SQL = [
    (re.compile(r"\bDROP\s+(TABLE|COLUMN|INDEX|CONSTRAINT|TYPE|VIEW)\b", re.I), "drops"),
    (re.compile(r"\bRENAME\b", re.I), "renames"),
    (re.compile(r"\bALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE\b", re.I), "changes a type"),
    (re.compile(r"\bSET\s+NOT\s+NULL\b", re.I), "sets NOT NULL"),
    (re.compile(r"\bTRUNCATE\b|\bDELETE\s+FROM\b", re.I), "deletes rows"),
]
EXPAND_SQL = re.compile(
    r"^\s*(CREATE\s+(TABLE|INDEX\s+CONCURRENTLY|EXTENSION|UNIQUE\s+INDEX\s+CONCURRENTLY)|"
    r"ALTER\s+TABLE\s+\w+\s+ADD\s+COLUMN|COMMENT\s+ON|DROP\s+TRIGGER\s+IF\s+EXISTS|"
    r"CREATE\s+(OR\s+REPLACE\s+)?(TRIGGER|FUNCTION))",
    re.I,
)


@dataclass
class Migration:
    revision: str
    down_revision: str | None
    path: str
    kind: str = "expand"
    reasons: list[str] = field(default_factory=list)


@dataclass
class MigrationSet:
    migrations: dict[str, Migration]

    def heads(self) -> list[str]:
        parents = {m.down_revision for m in self.migrations.values()}
        return sorted(r for r in self.migrations if r not in parents)

    def chain_to(self, head: str) -> list[Migration]:
        """Oldest first."""
        chain = []
        current: str | None = head
        while current and current in self.migrations:
            chain.append(self.migrations[current])
            current = self.migrations[current].down_revision
        return list(reversed(chain))

    def pending(self, applied: set[str]) -> list[Migration]:
        """Migrations in the release's chain newer than every applied revision. None when the
        database is ahead of the release (a rollback after expand migrations it never knew)."""
        if applied and not applied & set(self.migrations):
            return []
        result: list[Migration] = []
        for head in self.heads():
            for migration in reversed(self.chain_to(head)):
                if migration.revision in applied:
                    break
                result.append(migration)
        return list(reversed(result))


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _sql_text(node: ast.AST) -> str:
    """A string literal, or an f-string with its holes shown as {...}; else the source."""
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal(v) or "{...}" for v in node.values)
    return _literal(node) or ast.unparse(node)


def _classify_sql(sql: str) -> tuple[str, str]:
    for pattern, why in CONTRACT_SQL:
        if pattern.search(sql):
            return "contract", f"SQL {why}: {sql.strip()[:80]}"
    not_null_column = re.search(r"ADD\s+COLUMN", sql, re.I) and re.search(r"NOT\s+NULL", sql, re.I)
    if not_null_column and not re.search(r"\bDEFAULT\b|GENERATED", sql, re.I):
        return "contract", f"NOT NULL column without default: {sql.strip()[:80]}"
    if EXPAND_SQL.search(sql):
        return "expand", f"SQL: {sql.strip()[:60]}"
    return "contract", f"unrecognised SQL (treated as contract): {sql.strip()[:80]}"


def _classify_call(call: ast.Call) -> tuple[str, str]:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else ""
    kwargs = {k.arg: k.value for k in call.keywords if k.arg}
    if name == "execute":
        return _classify_sql(_sql_text(call.args[0]) if call.args else "")
    if name in EXPAND_OPS:
        return "expand", name
    if name in CONTRACT_OPS:
        return "contract", name
    if name == "add_column":
        column = ast.unparse(call.args[1]) if len(call.args) > 1 else ""
        not_null = re.search(r"nullable\s*=\s*False", column)
        has_default = "server_default" in column
        if not_null and not has_default:
            return "contract", f"add_column NOT NULL without server_default: {column[:80]}"
        return "expand", "add_column (nullable or defaulted)"
    if name == "alter_column":
        if "new_column_name" in kwargs:
            return "contract", "alter_column renames a column"
        if "type_" in kwargs:
            return "contract", "alter_column changes a type"
        nullable = kwargs.get("nullable")
        if isinstance(nullable, ast.Constant) and nullable.value is False:
            return "contract", "alter_column sets NOT NULL"
        return "expand", "alter_column (default or comment)"
    return "contract", f"unrecognised operation op.{name} (treated as contract)"


def classify_file(path: Path) -> Migration:
    tree = ast.parse(path.read_text(), filename=str(path))
    values: dict[str, str | None] = {}
    upgrade: ast.FunctionDef | None = None
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    values[target.id] = _literal(node.value)
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            upgrade = node
    migration = Migration(
        revision=values.get("revision") or path.stem,
        down_revision=values.get("down_revision"),
        path=str(path),
    )
    if upgrade is None:
        return migration
    for call in ast.walk(upgrade):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in ("op", "batch_op")
            and call.func.attr not in NAMING_HELPERS
        ):
            kind, reason = _classify_call(call)
            migration.reasons.append(f"{kind}: {reason}")
            if kind == "contract":
                migration.kind = "contract"
    return migration


def scan_migrations(versions: Path) -> MigrationSet:
    found = [classify_file(p) for p in sorted(versions.glob("*.py")) if p.name != "__init__.py"]
    return MigrationSet({m.revision: m for m in found})


@dataclass
class MigrationPlan:
    """When each pending migration runs in a deploy (expand/contract).

    `before_start`: the pending migrations up to (not including) the first contract one: they
    run before the new slot starts, and the live release keeps working on the expanded schema.
    `after_retire`: the first contract migration and everything after it: they run only once
    the old release has been drained and stopped, since it needs the old schema while it
    serves. Nothing after a contract can run earlier: Alembic applies a chain in order.
    """

    before_start: list[Migration] = field(default_factory=list)
    after_retire: list[Migration] = field(default_factory=list)

    @property
    def start_target(self) -> str | None:
        """The revision `db upgrade` goes to before the slot starts (None: nothing to run)."""
        return self.before_start[-1].revision if self.before_start else None

    @property
    def contract(self) -> list[str]:
        return [m.revision for m in self.after_retire if m.kind == "contract"]

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "before_start": [m.revision for m in self.before_start],
            "after_retire": [m.revision for m in self.after_retire],
        }


def plan_migrations(pending: list[Migration]) -> MigrationPlan:
    """Split the pending chain (oldest first) at its first contract migration."""
    for index, migration in enumerate(pending):
        if migration.kind == "contract":
            return MigrationPlan(pending[:index], pending[index:])
    return MigrationPlan(list(pending), [])
