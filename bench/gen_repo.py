#!/usr/bin/env python3
"""Generate a synthetic GitOps repository for the sluice benchmark.

Writes, under OUT:
  OUT/tree/          a work tree: N Kubernetes objects of mixed kinds (~2 KB
                     each) spread over namespaces/<ns>/<app>/ folders, some
                     files holding several documents, a few JSON files, and a
                     kustomization.yaml listing every file (resources:) so that
                     `kubectl kustomize OUT/tree` renders the same objects;
  OUT/repo.git       a bare git repository (branch main) holding that tree,
                     committed with the git CLI;
  OUT/expected.tsv   one line per object: kind, namespace ("" when cluster
                     scoped) and name, sorted; what a correct render yields.

Deterministic: the same --objects and --seed give byte-identical files and
the same commit id. Python standard library only.
"""
import argparse
import base64
import json
import os
import random
import re
import subprocess
import sys

WORDS = ("orders payments billing catalog search cart checkout inventory "
         "shipping pricing ledger accounts profile auth session gateway "
         "notify mailer reports audit metrics ingest export import media "
         "thumbs feed ranking recs fraud risk quota tenant admin portal "
         "docs status scheduler worker queue cache index sync webhook").split()
TEAMS = ("core commerce data growth identity infra mobile payments platform "
         "search security web").split()
IMAGES = ("registry.example.com/{team}/{app}", "ghcr.io/example/{app}",
          "docker.io/library/nginx", "quay.io/example/{team}-{app}")

# ---------------------------------------------------------------- YAML writer

RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""}
PLAIN_OK = re.compile(r"^[A-Za-z_/][A-Za-z0-9._/:@=+,()\- ]*$")
NUMBERISH = re.compile(r"^[-+.0-9_][-+.0-9_eExXoObB:a-fA-F]*$")


class Lit(str):
    """A string written as a literal block scalar (|)."""


class Flow(dict):
    """A mapping written in flow style ({a: b})."""


def needs_quotes(s):
    if s.lower() in RESERVED or NUMBERISH.match(s):
        return True
    if not PLAIN_OK.match(s) or s != s.strip():
        return True
    return ": " in s or s.endswith(":") or " #" in s


def scalar(v, rng):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if needs_quotes(s):
        if "'" not in s and rng.random() < 0.3:
            return "'" + s + "'"
        return json.dumps(s)
    if rng.random() < 0.05:            # an unnecessary quote now and then, as people write
        return json.dumps(s)
    return s


class Writer:
    """A small block-style YAML emitter with a few stylistic variations
    (indented or indentless sequences, flow mappings, literal blocks,
    comments) so that parsers see what hand-written manifests look like."""

    def __init__(self, rng, indentless):
        self.rng = rng
        self.indentless = indentless
        self.lines = []

    def flow(self, d):
        return "{" + ", ".join(f"{k}: {scalar(v, self.rng)}" for k, v in d.items()) + "}"

    def value_after_key(self, key, v, ind):
        pad = " " * ind
        if isinstance(v, Lit):
            chomp = "" if v.endswith("\n") else "-"
            self.lines.append(f"{pad}{key}: |{chomp}")
            for ln in v.rstrip("\n").split("\n"):
                self.lines.append(f"{pad}  {ln}" if ln else "")
        elif isinstance(v, Flow):
            self.lines.append(f"{pad}{key}: {self.flow(v)}")
        elif isinstance(v, dict):
            if not v:
                self.lines.append(f"{pad}{key}: {{}}")
            else:
                self.lines.append(f"{pad}{key}:")
                self.mapping(v, ind + 2)
        elif isinstance(v, list):
            if not v:
                self.lines.append(f"{pad}{key}: []")
            else:
                self.lines.append(f"{pad}{key}:")
                self.sequence(v, ind if self.indentless else ind + 2)
        else:
            self.lines.append(f"{pad}{key}: {scalar(v, self.rng)}")

    def mapping(self, d, ind):
        for k, v in d.items():
            if k.startswith("#"):
                self.lines.append(" " * ind + k)       # a comment line
                continue
            self.value_after_key(k, v, ind)

    def sequence(self, items, ind):
        pad = " " * ind
        for it in items:
            if isinstance(it, Flow):
                self.lines.append(f"{pad}- {self.flow(it)}")
            elif isinstance(it, dict) and it:
                start = len(self.lines)
                self.mapping(it, ind + 2)
                first = self.lines[start]
                self.lines[start] = pad + "- " + first[ind + 2:]
            elif isinstance(it, list):
                raise ValueError("nested sequences are not generated")
            else:
                self.lines.append(f"{pad}- {scalar(it, self.rng)}")

    def document(self, obj):
        self.lines = []
        self.mapping(obj, 0)
        return "\n".join(self.lines) + "\n"


# ---------------------------------------------------------------- objects

def hexdigest(rng, n=64):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def labels(ctx, component=None):
    lab = {"app.kubernetes.io/name": ctx["app"],
           "app.kubernetes.io/part-of": ctx["system"],
           "app.kubernetes.io/managed-by": "sluice",
           "team": ctx["team"]}
    if component:
        lab["app.kubernetes.io/component"] = component
    return lab


def meta(ctx, name, component=None, flow_labels=False):
    m = {"name": name, "namespace": ctx["ns"]}
    lab = labels(ctx, component)
    m["labels"] = Flow(lab) if flow_labels else lab
    return m


def pad_annotations(rng, ctx, n):
    """n realistic-looking annotations, used to bring an object to its size."""
    out = {}
    pool = [
        ("example.com/owner", lambda: f"{ctx['team']}@example.com"),
        ("example.com/runbook", lambda: f"https://runbooks.example.com/{ctx['team']}/{ctx['app']}"),
        ("example.com/slack", lambda: f"#{ctx['team']}-alerts"),
        ("example.com/tier", lambda: rng.choice(["critical", "standard", "best-effort"])),
        ("example.com/cost-center", lambda: f"cc-{rng.randint(1000, 9999)}"),
        ("example.com/source", lambda: f"https://git.example.com/{ctx['team']}/{ctx['app']}/-/tree/main/deploy"),
        ("example.com/description", lambda: f"{ctx['app']} service of the {ctx['system']} system, "
                                            f"owned by team {ctx['team']}, deployed through the platform pipeline"),
        ("checksum/config", lambda: hexdigest(rng)),
    ]
    for i in range(n):
        k, f = pool[i % len(pool)]
        if i >= len(pool):
            k = f"{k}-{i // len(pool)}"
        out[k] = f()
    return out


def container(rng, ctx, name, port):
    env = [{"name": "LOG_LEVEL", "value": rng.choice(["info", "debug", "warn"])},
           {"name": "PORT", "value": str(port)},
           {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
           {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
               "name": f"{ctx['app']}-secrets", "key": "db-password"}}}]
    for i in range(rng.randint(0, 4)):
        env.append({"name": f"FEATURE_{i}_ENABLED", "value": rng.choice(["true", "false"])})
    img = rng.choice(IMAGES).format(team=ctx["team"], app=ctx["app"])
    return {
        "name": name,
        "image": f"{img}:{rng.randint(1, 3)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config=/etc/app/config.yaml", f"--listen=:{port}"],
        "ports": [Flow({"name": "http", "containerPort": port, "protocol": "TCP"}),
                  {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
        "env": env,
        "envFrom": [{"configMapRef": {"name": f"{ctx['app']}-config"}}],
        "resources": {"requests": {"cpu": f"{rng.choice([50, 100, 250, 500])}m",
                                   "memory": f"{rng.choice([64, 128, 256, 512])}Mi"},
                      "limits": {"cpu": rng.choice(["1", "2", "500m"]),
                                 "memory": f"{rng.choice([256, 512, 1024])}Mi"}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"},
                           "initialDelaySeconds": 5, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                          "initialDelaySeconds": 15, "periodSeconds": 20, "failureThreshold": 3},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }


def pod_spec(rng, ctx, port):
    return {
        "serviceAccountName": ctx["app"],
        "securityContext": {"runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001},
        "containers": [container(rng, ctx, ctx["app"], port)],
        "volumes": [{"name": "config", "configMap": {"name": f"{ctx['app']}-config"}},
                    {"name": "tmp", "emptyDir": {}}],
    }


def k_deployment(rng, ctx):
    port = ctx["port"]
    sel = {"app.kubernetes.io/name": ctx["app"]}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta(ctx, ctx["app"], "server"),
            "spec": {"replicas": rng.randint(1, 6), "revisionHistoryLimit": 5,
                     "selector": {"matchLabels": sel},
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                     "template": {"metadata": {"labels": labels(ctx, "server"),
                                               "annotations": {"prometheus.io/scrape": "true",
                                                               "prometheus.io/port": "9090"}},
                                  "spec": pod_spec(rng, ctx, port)}}}


def k_statefulset(rng, ctx):
    d = k_deployment(rng, ctx)
    d["kind"] = "StatefulSet"
    spec = d["spec"]
    del spec["strategy"]
    spec["serviceName"] = ctx["app"]
    spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"},
                                     "spec": {"accessModes": ["ReadWriteOnce"],
                                              "resources": {"requests": {"storage": f"{rng.choice([1, 5, 20])}Gi"}}}}]
    return d


def k_service(rng, ctx):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": meta(ctx, ctx["app"], "server", flow_labels=rng.random() < 0.3),
            "spec": {"type": "ClusterIP",
                     "selector": {"app.kubernetes.io/name": ctx["app"]},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                               {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}]}}


def k_serviceaccount(rng, ctx):
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": meta(ctx, ctx["app"]),
            "automountServiceAccountToken": False}


def k_configmap(rng, ctx):
    props = "\n".join(f"{ctx['app']}.setting{i}={rng.randint(0, 99999)}" for i in range(rng.randint(4, 10)))
    cfg = (f"# {ctx['app']} configuration\nserver:\n  port: {ctx['port']}\n  timeout: 30s\n"
           f"database:\n  host: {ctx['app']}-db.{ctx['ns']}.svc\n  pool: {rng.randint(2, 32)}\n"
           f"features:\n  - search\n  - export\n")
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": meta(ctx, f"{ctx['app']}-config", "config"),
            "data": {"LOG_FORMAT": "json", "REGION": rng.choice(["eu-west-1", "us-east-1", "ap-south-1"]),
                     "MAX_CONNECTIONS": str(rng.randint(10, 500)), "ENABLE_TRACING": "true",
                     "config.yaml": Lit(cfg), "application.properties": Lit(props + "\n")}}


def k_secret(rng, ctx):
    def b64(n):
        return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(n))).decode()
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": meta(ctx, f"{ctx['app']}-secrets", "config"),
            "type": "Opaque",
            "data": {"db-password": b64(24), "api-key": b64(32), "jwt-signing-key": b64(48),
                     "tls.key": b64(rng.randint(200, 400))}}


def k_role(rng, ctx):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": meta(ctx, f"{ctx['app']}-reader"),
            "rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"],
                       "resourceNames": [f"{ctx['app']}-config", f"{ctx['app']}-secrets"],
                       "verbs": ["get", "watch", "list"]},
                      {"apiGroups": [""], "resources": ["pods", "endpoints"], "verbs": ["get", "list"]},
                      {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                       "verbs": ["get", "create", "update"]}]}


def k_rolebinding(rng, ctx):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": meta(ctx, f"{ctx['app']}-reader"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{ctx['app']}-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": ctx["app"], "namespace": ctx["ns"]}]}


def k_ingress(rng, ctx):
    host = f"{ctx['app']}.{ctx['ns']}.apps.example.com"
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": dict(meta(ctx, ctx["app"], "server"), annotations={
                "cert-manager.io/cluster-issuer": "letsencrypt",
                "nginx.ingress.kubernetes.io/proxy-body-size": "8m"}),
            "spec": {"ingressClassName": "nginx",
                     "tls": [{"hosts": [host], "secretName": f"{ctx['app']}-tls"}],
                     "rules": [{"host": host, "http": {"paths": [
                         {"path": "/", "pathType": "Prefix",
                          "backend": {"service": {"name": ctx["app"], "port": {"name": "http"}}}}]}}]}}


def k_networkpolicy(rng, ctx):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": meta(ctx, f"{ctx['app']}-ingress"),
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": ctx["app"]}},
                     "policyTypes": ["Ingress", "Egress"],
                     "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                                              "kubernetes.io/metadata.name": "ingress-nginx"}}},
                                           {"podSelector": {"matchLabels": {"team": ctx["team"]}}}],
                                  "ports": [Flow({"protocol": "TCP", "port": ctx["port"]})]}],
                     "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}}],
                                 "ports": [Flow({"protocol": "TCP", "port": 5432}),
                                           Flow({"protocol": "UDP", "port": 53})]}]}}


def k_hpa(rng, ctx):
    lo = rng.randint(1, 3)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": meta(ctx, ctx["app"]),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": ctx["workload"], "name": ctx["app"]},
                     "minReplicas": lo, "maxReplicas": lo + rng.randint(2, 20),
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                    "type": "Utilization", "averageUtilization": rng.choice([60, 70, 80])}}},
                                 {"type": "Resource", "resource": {"name": "memory", "target": {
                                    "type": "Utilization", "averageUtilization": 85}}}],
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300,
                                                "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}}}}


def k_pdb(rng, ctx):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": meta(ctx, ctx["app"]),
            "spec": {"maxUnavailable": 1,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": ctx["app"]}}}}


def k_cronjob(rng, ctx):
    spec = pod_spec(rng, ctx, ctx["port"])
    spec["restartPolicy"] = "OnFailure"
    c = spec["containers"][0]
    c["name"] = "job"
    c["args"] = ["--run-once", "--task=cleanup"]
    for k in ("readinessProbe", "livenessProbe", "ports"):
        del c[k]
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": meta(ctx, f"{ctx['app']}-cleanup", "job"),
            "spec": {"schedule": f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *",
                     "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                     "jobTemplate": {"spec": {"backoffLimit": 2, "template": {
                         "metadata": {"labels": labels(ctx, "job")}, "spec": spec}}}}}


def k_namespace(rng, ctx):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ctx["ns"],
                         "labels": {"kubernetes.io/metadata.name": ctx["ns"], "team": ctx["team"],
                                    "pod-security.kubernetes.io/enforce": "restricted",
                                    "pod-security.kubernetes.io/enforce-version": "latest",
                                    "istio-injection": "enabled"}}}


# (generator, probability of being in an app bundle)
BUNDLE = [(k_serviceaccount, 1.0), (k_configmap, 1.0), (k_secret, 0.9), (None, 1.0),  # None: workload
          (k_service, 1.0), (k_ingress, 0.6), (k_hpa, 0.5), (k_networkpolicy, 0.8),
          (k_role, 0.6), (k_rolebinding, 0.6), (k_pdb, 0.4), (k_cronjob, 0.15)]


def sized(rng, ctx, obj, target):
    """Add annotations to obj until its YAML reaches about target bytes."""
    w = Writer(random.Random(0), False)
    size = len(w.document(obj))
    if size >= target:
        return obj
    # each padding annotation is ~70 bytes; estimate, then correct upwards
    n = max(0, (target - size) // 70)
    ann = obj["metadata"].setdefault("annotations", {})
    while True:
        extra = pad_annotations(rng, ctx, n)
        for k, v in extra.items():
            ann.setdefault(k, v)
        if len(w.document(obj)) >= target or n > 200:
            return obj
        n += 1


def app_bundle(rng, ctx):
    objs = []
    ctx["workload"] = "StatefulSet" if rng.random() < 0.1 else "Deployment"
    for gen, p in BUNDLE:
        if rng.random() >= p:
            continue
        if gen is None:
            gen = k_statefulset if ctx["workload"] == "StatefulSet" else k_deployment
        if gen is k_rolebinding and not any(o["kind"] == "Role" for o in objs):
            continue
        obj = gen(rng, ctx)
        objs.append(sized(rng, ctx, obj, rng.randint(1500, 2500)))
    return objs


# ---------------------------------------------------------------- layout

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def emit(rng, objs, header=None):
    w = Writer(rng, indentless=rng.random() < 0.5)
    parts = []
    if header:
        parts.append(header)
    for i, o in enumerate(objs):
        doc = w.document(o)
        if i or rng.random() < 0.3:
            doc = "---\n" + doc
        parts.append(doc)
    return "".join(parts)


def generate(n, seed, nns, tree):
    rng = random.Random(seed)
    files = {}                   # relative path -> text
    idents = []
    count = 0
    namespaces = [f"{rng.choice(TEAMS)}-{rng.choice(WORDS)}-{i:03d}" for i in range(nns)]
    team_of = {ns: ns.split("-")[0] for ns in namespaces}
    for ns in namespaces:        # one Namespace object each (cluster scoped)
        if count >= n:
            break
        ctx = {"ns": ns, "team": team_of[ns], "app": ns, "system": ns}
        obj = sized(rng, ctx, k_namespace(rng, ctx), rng.randint(600, 1200))
        if rng.random() < 0.1:
            files[f"namespaces/{ns}/namespace.json"] = json.dumps(obj, indent=2) + "\n"
        else:
            files[f"namespaces/{ns}/namespace.yaml"] = emit(rng, [obj])
        idents.append(("Namespace", "", ns))
        count += 1
    napp = 0
    while count < n:
        ns = namespaces[napp % nns]
        app = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{napp // nns}"
        ctx = {"ns": ns, "team": team_of[ns], "app": app, "system": rng.choice(WORDS),
               "port": rng.choice([8080, 8000, 3000, 5000, 9000])}
        objs = app_bundle(rng, ctx)[: n - count]
        napp += 1
        base = f"namespaces/{ns}/{app}"
        style = rng.random()
        if style < 0.5:          # one file per object
            for o in objs:
                ext = ".yml" if rng.random() < 0.1 else ".yaml"
                files[f"{base}/{o['kind'].lower()}-{o['metadata']['name']}{ext}"] = emit(rng, [o])
        elif style < 0.8:        # everything in one multi-document file
            files[f"{base}/manifests.yaml"] = emit(rng, objs, f"# {app}: generated by bench/gen_repo.py\n")
        else:                    # grouped by concern, in sub-folders
            groups = {"config": ("ConfigMap", "Secret"),
                      "rbac": ("ServiceAccount", "Role", "RoleBinding")}
            rest = [o for o in objs if not any(o["kind"] in g for g in groups.values())]
            for g, kinds in groups.items():
                part = [o for o in objs if o["kind"] in kinds]
                if part:
                    files[f"{base}/{g}/{g}.yaml"] = emit(rng, part)
            if rest:
                files[f"{base}/workload.yaml"] = emit(rng, rest)
        for o in objs:
            idents.append((o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        count += len(objs)

    if len(set(idents)) != len(idents):
        sys.exit("gen_repo: duplicate object identity generated (bug)")
    paths = sorted(files)
    kust = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
            + "".join(f"- {p}\n" for p in paths))
    for p in paths:
        write(os.path.join(tree, p), files[p])
    write(os.path.join(tree, "kustomization.yaml"), kust)
    return idents, len(paths), sum(len(t.encode()) for t in files.values())


def git(*args, cwd):
    env = dict(os.environ,
               GIT_AUTHOR_NAME="sluice bench", GIT_AUTHOR_EMAIL="bench@sluice.invalid",
               GIT_COMMITTER_NAME="sluice bench", GIT_COMMITTER_EMAIL="bench@sluice.invalid",
               GIT_AUTHOR_DATE="2024-01-01T00:00:00Z", GIT_COMMITTER_DATE="2024-01-01T00:00:00Z",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="output folder (created; must not exist or be empty)")
    ap.add_argument("--objects", "-n", type=int, default=10000, help="number of objects (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--namespaces", type=int, default=100, help="number of namespaces (default 100)")
    a = ap.parse_args()
    if a.objects < 1 or a.namespaces < 1:
        ap.error("--objects and --namespaces must be positive")
    if os.path.exists(a.out) and os.listdir(a.out):
        ap.error(f"{a.out} exists and is not empty")
    out = os.path.abspath(a.out)
    tree = os.path.join(out, "tree")
    bare = os.path.join(out, "repo.git")
    idents, nfiles, nbytes = generate(a.objects, a.seed, min(a.namespaces, a.objects), tree)

    git("init", "-q", "-b", "main", ".", cwd=tree)
    git("add", "-A", cwd=tree)
    git("commit", "-q", "-m", f"bench: {a.objects} objects, seed {a.seed}", cwd=tree)
    git("init", "-q", "--bare", "-b", "main", bare, cwd=out)
    git("push", "-q", bare, "main", cwd=tree)
    head = git("rev-parse", "HEAD", cwd=tree)

    with open(os.path.join(out, "expected.tsv"), "w") as f:
        for k, ns, name in sorted(idents):
            f.write(f"{k}\t{ns}\t{name}\n")
    kinds = {}
    for k, _, _ in idents:
        kinds[k] = kinds.get(k, 0) + 1
    print(f"objects={len(idents)} files={nfiles} bytes={nbytes} "
          f"avg_object_bytes={nbytes // max(1, len(idents))} commit={head}")
    print("kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
