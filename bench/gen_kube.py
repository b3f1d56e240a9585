#!/usr/bin/env python3
"""bench/gen_kube.py: write N Kubernetes objects for bench/kube.sh into a folder.

Usage: gen_kube.py OUT_DIR N [NAMESPACES]
Files: 00-namespaces.yaml, then one file per namespace holding a mix of
ConfigMaps (50%), Secrets (10%), Services (20%) and Deployments (20%),
every namespaced object with metadata.namespace set (kubectl needs it; sluice
would also take the app's namespace).
"""
import os
import sys


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    nns = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    os.makedirs(out, exist_ok=True)
    namespaces = ["bench-%02d" % i for i in range(nns)]
    with open(os.path.join(out, "00-namespaces.yaml"), "w") as f:
        for ns in namespaces:
            f.write("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n" % ns)
    left = n - nns
    files = {ns: [] for ns in namespaces}
    for i in range(left):
        ns = namespaces[i % nns]
        name = "obj-%05d" % i
        kind = i % 10
        if kind < 5:
            doc = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\n"
                   "  labels: {app: %s}\ndata:\n  key: value-%d\n  other: \"%d\"\n"
                   % (name, ns, name, i, i * 7))
        elif kind == 5:
            doc = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n"
                   "type: Opaque\nstringData:\n  password: pw-%d\n" % (name, ns, i))
        elif kind < 8:
            doc = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\n"
                   "spec:\n  selector: {app: %s}\n  ports:\n  - {name: http, port: 80, "
                   "targetPort: 8080}\n" % (name, ns, name))
        else:
            doc = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n"
                   "  namespace: %s\n  labels: {app: %s}\nspec:\n  replicas: 2\n"
                   "  selector: {matchLabels: {app: %s}}\n  template:\n"
                   "    metadata: {labels: {app: %s}}\n    spec:\n      containers:\n"
                   "      - name: app\n        image: nginx:1.27\n"
                   "        ports: [{containerPort: 8080}]\n"
                   "        env: [{name: INDEX, value: \"%d\"}]\n"
                   % (name, ns, name, name, name, i))
        files[ns].append(doc)
    for idx, ns in enumerate(namespaces):
        with open(os.path.join(out, "%02d-%s.yaml" % (idx + 1, ns)), "w") as f:
            for doc in files[ns]:
                f.write("---\n" + doc)


if __name__ == "__main__":
    main()
