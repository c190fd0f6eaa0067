"""Validate rendered Kubernetes manifests against the Kubernetes JSON schemas.

Usage: validate-manifests.py VERSIONS FILE...

VERSIONS is a space-separated list of Kubernetes versions, such as "1.30.0 1.33.0".
Each FILE contains the YAML documents that `kubectl kustomize` printed for one overlay.
Every document is validated strictly (unknown fields are errors) with the schemas
that the kubernetes-validate package bundles. Resources of the PostgreSQL and
RabbitMQ operators have no schema there, so they are skipped by API group after a
check of their envelope. Every workload must have probes, resources, a non-root user
and a read-only root file system. Every Deployment needs a Service, a
HorizontalPodAutoscaler and a PodDisruptionBudget of its name, and every ConfigMap or
Secret that a document refers to must be defined. Exits 1 when any check fails.
"""

import sys

import kubernetes_validate
import yaml

# API groups of custom resources. Their schemas come with the operators' CRDs, which
# are installed in the cluster and not bundled with kubernetes-validate.
SKIPPED_GROUPS = {
    "postgresql.cnpg.io": "CloudNativePG operator CRD (Cluster, Database)",
    "rabbitmq.com": "RabbitMQ cluster operator CRD (RabbitmqCluster)",
}


def name_of(document):
    return f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"


def check_envelope(document):
    """Return the problems of a custom resource that no schema checks."""
    problems = []
    for field in ("apiVersion", "kind"):
        if not isinstance(document.get(field), str):
            problems.append(f"missing {field}")
    if not document.get("metadata", {}).get("name"):
        problems.append("missing metadata.name")
    if not isinstance(document.get("spec"), dict):
        problems.append("missing spec")
    return problems


def check_workload(document):
    """Return the problems of a Deployment or Job with the platform's rules."""
    problems = []
    pod = document["spec"]["template"]["spec"]
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        problems.append("pod securityContext.runAsNonRoot is not true")
    for container in pod["containers"]:
        where = f"container {container['name']}"
        resources = container.get("resources", {})
        for part in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(part, {}):
                    problems.append(f"{where}: no {part}.{resource}")
        context = container.get("securityContext", {})
        if not context.get("readOnlyRootFilesystem"):
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if context.get("allowPrivilegeEscalation", True):
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if document["kind"] == "Deployment":
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    problems.append(f"{where}: no {probe}")
    return problems


def check_companions(documents):
    """Return the Deployments that lack a Service, an HPA or a PDB of the same name."""
    names = {(d.get("kind"), d["metadata"]["name"]) for d in documents}
    problems = []
    for kind, name in sorted(names):
        if kind != "Deployment":
            continue
        for companion in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            if (companion, name) not in names:
                problems.append(f"Deployment/{name}: no {companion} named {name}")
    return problems


def references(node, found):
    """Collect the names of the ConfigMaps and Secrets that `node` refers to."""
    if isinstance(node, list):
        for item in node:
            references(item, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(value, dict):
            if key in ("configMap", "configMapRef", "configMapKeyRef") and "name" in value:
                found.add(("ConfigMap", value["name"]))
            elif key in ("secretRef", "secretKeyRef") and "name" in value:
                found.add(("Secret", value["name"]))
            elif key == "secret" and ("secretName" in value or "name" in value):
                found.add(("Secret", value.get("secretName", value.get("name"))))
        references(value, found)


def check_references(documents):
    """Return the ConfigMaps and Secrets referred to but not in the rendered overlay,
    such as a generated name whose hash suffix a custom resource does not carry."""
    present = {(d.get("kind"), d["metadata"]["name"]) for d in documents}
    referred = set()
    for document in documents:
        references(document.get("spec", {}), referred)
    missing = sorted(referred - present)
    return [f"{kind}/{name} is referred to but not defined" for kind, name in missing]


def validate_file(path, versions):
    """Validate one rendered overlay and return the counts of documents validated and
    skipped, and the failures."""
    with open(path, encoding="utf-8") as stream:
        documents = [d for d in yaml.safe_load_all(stream) if d]
    validated = skipped = 0
    failures = []
    for document in documents:
        group = str(document.get("apiVersion", "")).split("/")[0]
        if group in SKIPPED_GROUPS:
            problems = check_envelope(document)
            failures += [f"{path}: {name_of(document)}: {p}" for p in problems]
            print(f"skipped {name_of(document)}: {SKIPPED_GROUPS[group]}")
            skipped += 1
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = "/".join(str(p) for p in error.path)
                failures.append(
                    f"{path}: {name_of(document)} is invalid for Kubernetes {version} "
                    f"at {where or '(root)'}: {error.message}"
                )
            except (
                kubernetes_validate.SchemaNotFoundError,
                kubernetes_validate.InvalidSchemaError,
            ) as error:
                failures.append(f"{path}: {name_of(document)}: {error}")
        if document.get("kind") in ("Deployment", "Job"):
            problems = check_workload(document)
            failures += [f"{path}: {name_of(document)}: {p}" for p in problems]
        validated += 1
    failures += [f"{path}: {p}" for p in check_companions(documents)]
    failures += [f"{path}: {p}" for p in check_references(documents)]
    return validated, skipped, failures


def main(arguments):
    if len(arguments) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    versions = arguments[0].split()
    total_validated = total_skipped = 0
    all_failures = []
    for path in arguments[1:]:
        validated, skipped, failures = validate_file(path, versions)
        print(
            f"{path}: {validated} documents checked against Kubernetes "
            f"{', '.join(versions)}, {skipped} custom resources skipped, "
            f"{len(failures)} failures"
        )
        total_validated += validated
        total_skipped += skipped
        all_failures += failures
    for failure in all_failures:
        print(f"error: {failure}", file=sys.stderr)
    print(
        f"manifests: {total_validated} documents checked, {total_skipped} skipped, "
        f"{len(all_failures)} failures"
    )
    return 1 if all_failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
