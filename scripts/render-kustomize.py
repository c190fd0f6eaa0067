"""Render a Kustomize overlay of deploy/k8s without kubectl or kustomize.

Usage: render-kustomize.py OVERLAY_DIR > rendered.yaml
       render-kustomize.py OVERLAY_DIR KUSTOMIZE_OUTPUT

With a second argument, the script compares its rendering with the file that
`kubectl kustomize` printed and exits 1 when a resource differs.

Implements only the Kustomize fields that deploy/k8s uses, and fails on any other.
Those are `resources` (files and folders), `components`, `namespace`, `labels`
(metadata only) and `images`. `patches` may hold inline JSON 6902 operations `add`
and `replace` with a target kind and an optional name. `configMapGenerator` may name
files and labels, without the hash suffix.
scripts/validate-deploy.sh uses it when neither kubectl nor kustomize is installed,
and otherwise checks that it renders what `kubectl kustomize` renders.
"""

import os
import sys

import yaml

KNOWN_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "components",
    "namespace",
    "labels",
    "images",
    "patches",
    "configMapGenerator",
}


class RenderError(Exception):
    pass


def load_documents(path):
    with open(path, encoding="utf-8") as stream:
        return [d for d in yaml.safe_load_all(stream) if d]


def generate_config_map(folder, generator):
    options = generator.get("options", {})
    if not options.get("disableNameSuffixHash"):
        raise RenderError(
            f"{folder}: configMapGenerator {generator['name']} is missing "
            "options.disableNameSuffixHash: true, which this renderer requires because it "
            "does not implement the hash suffix"
        )
    data = {}
    for entry in generator.get("files", []):
        with open(os.path.join(folder, entry), encoding="utf-8") as stream:
            data[os.path.basename(entry)] = stream.read()
    metadata = {"name": generator["name"]}
    if options.get("labels"):
        metadata["labels"] = dict(options["labels"])
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def pointer_parts(pointer):
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def apply_operation(document, operation):
    parts = pointer_parts(operation["path"])
    parent = document
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    op = operation["op"]
    if op not in ("add", "replace"):
        raise RenderError(f"patch operation {op} is not implemented")
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(index, operation["value"])
        else:
            parent[index] = operation["value"]
    else:
        if op == "replace" and last not in parent:
            raise RenderError(f"replace of {operation['path']} failed: no such field")
        parent[last] = operation["value"]


def apply_patch(documents, patch):
    target = patch.get("target", {})
    operations = yaml.safe_load(patch["patch"])
    matched = [
        d
        for d in documents
        if d.get("kind") == target.get("kind")
        and target.get("name", d["metadata"]["name"]) == d["metadata"]["name"]
    ]
    if not matched:
        raise RenderError(f"patch target {target} matches no resource")
    for document in matched:
        for operation in operations:
            apply_operation(document, operation)


def set_image(document, images):
    pod = document.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        for image in images:
            if container.get("image") == image["name"]:
                name = image.get("newName", image["name"])
                tag = image.get("newTag")
                container["image"] = f"{name}:{tag}" if tag else name


def render(folder):
    """Return the documents of the kustomization in `folder`."""
    kustomization = load_documents(os.path.join(folder, "kustomization.yaml"))[0]
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise RenderError(f"{folder}: fields {sorted(unknown)} are not implemented")
    documents = []
    for entry in kustomization.get("resources", []) + kustomization.get("components", []):
        path = os.path.normpath(os.path.join(folder, entry))
        documents += render(path) if os.path.isdir(path) else load_documents(path)
    for generator in kustomization.get("configMapGenerator", []):
        documents.append(generate_config_map(folder, generator))
    for patch in kustomization.get("patches", []):
        apply_patch(documents, patch)
    for document in documents:
        metadata = document.setdefault("metadata", {})
        for label in kustomization.get("labels", []):
            if label.get("includeSelectors") or label.get("includeTemplates"):
                raise RenderError(f"{folder}: labels on selectors are not implemented")
            metadata.setdefault("labels", {}).update(label["pairs"])
        if "namespace" in kustomization:
            metadata["namespace"] = kustomization["namespace"]
        set_image(document, kustomization.get("images", []))
    return documents


def by_name(documents):
    return {(d.get("kind"), d["metadata"]["name"]): d for d in documents}


def compare(documents, kustomize_output):
    """Print the resources that differ from the file that kustomize rendered; return
    their number."""
    ours = by_name(documents)
    theirs = by_name(load_documents(kustomize_output))
    differing = sorted(
        key for key in set(ours) | set(theirs) if ours.get(key) != theirs.get(key)
    )
    for kind, name in differing:
        print(f"error: {kind}/{name} differs from {kustomize_output}", file=sys.stderr)
    return len(differing)


def main(arguments):
    if len(arguments) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        documents = render(arguments[0])
    except (RenderError, KeyError, IndexError, ValueError, OSError) as error:
        print(f"error: cannot render {arguments[0]}: {error}", file=sys.stderr)
        return 1
    if len(arguments) == 2:
        differing = compare(documents, arguments[1])
        print(f"{arguments[0]}: {len(documents)} resources, {differing} differ from kustomize")
        return 1 if differing else 0
    yaml.safe_dump_all(documents, sys.stdout, sort_keys=True, allow_unicode=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
