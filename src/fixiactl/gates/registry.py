"""Every gate, in the order `make gates` runs them. FAST gates also run inside `make test`."""

from __future__ import annotations

from fixiactl.gates import code, data, imports, infra, packaging
from fixiactl.gates.model import Gate
from fixiactl.gates.model import Speed as S

GATES: tuple[Gate, ...] = (
    Gate("ruff-lint", "code", S.FAST, code.ruff_lint, "ruff check src tests"),
    Gate("ruff-format", "code", S.FAST, code.ruff_format, "ruff format --check"),
    Gate("mypy", "code", S.FAST, code.mypy, "mypy strict on src/"),
    Gate("bandit", "code", S.FAST, code.bandit, "bandit -r src"),
    Gate("semgrep", "code", S.SLOW, code.semgrep, "semgrep --error with .semgrep.yml"),
    Gate("detect-secrets", "code", S.FAST, code.detect_secrets, "against .secrets.baseline"),
    Gate("import-pairs", "code", S.FAST, imports.import_pairs, "no new rooms importing each other"),
    Gate("import-contracts", "code", S.FAST, imports.import_contracts, "import-linter floors"),
    Gate("deptry", "code", S.FAST, packaging.deptry, "imports match declared dependencies"),
    Gate("wheel", "code", S.SLOW, packaging.wheel, "pip installs the wheel; every --help runs"),
    Gate("licenses", "code", S.SLOW, code.licenses, "no GPL/AGPL in runtime deps"),
    Gate("pip-audit", "code", S.SLOW, code.pip_audit, "pip-audit --strict (CI only)"),
    Gate("coverage", "code", S.SLOW, data.coverage, "branch coverage ≥ 85 %"),
    Gate("migrations-sqlite", "db", S.SLOW, data.migrations_sqlite, "up→down→up + check"),
    Gate("migrations-postgres", "db", S.SLOW, data.migrations_postgres, "up→down→up + check"),
    Gate("migration-safety", "db", S.FAST, data.migration_safety, "expand/contract linter"),
    Gate("promtool", "monitoring", S.FAST, infra.promtool, "check + test rules"),
    Gate("amtool", "monitoring", S.FAST, infra.amtool, "check-config"),
    Gate("haproxy", "stack", S.FAST, infra.haproxy_config, "haproxy -c on a rendered config"),
    Gate("actionlint", "iac", S.FAST, infra.actionlint, ".github/workflows"),
    Gate("generated-fresh", "iac", S.FAST, infra.generated_fresh, "one-source artifacts"),
    Gate("kubernetes", "iac", S.FAST, infra.kubernetes, "core kinds + CRD schemas"),
    Gate("terraform-fmt", "iac", S.FAST, infra.terraform_fmt, "terraform fmt -check"),
    Gate("ansible-syntax", "iac", S.FAST, infra.ansible_syntax, "ansible-playbook --syntax-check"),
    Gate("ansible-lint", "iac", S.SLOW, infra.ansible_lint, "ansible-lint --offline"),
    Gate("checkov", "iac", S.SLOW, infra.checkov, "IaC, Dockerfile, workflows"),
    Gate("sbom", "supply-chain", S.SLOW, data.sbom, "CycloneDX JSON"),
    Gate("performance", "perf", S.SLOW, data.performance, "hot paths ≤ +25 % vs baseline"),
)


def by_name(name: str) -> Gate:
    for gate in GATES:
        if gate.name == name:
            return gate
    raise KeyError(name)
