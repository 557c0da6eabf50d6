"""Kubernetes target: manifests generated from the single sources (SLOs, alert rules), the
`kubectl kustomize` rendering that validation checks, and the validators."""
