"""Kubernetes target: manifests generated from the single sources (SLOs, alert rules), a
kustomize-compatible renderer for validation, and the validators."""
