#!/usr/bin/env python3
# A fake score-k8s cmd:// provisioner: JSON in on stdin, JSON out on stdout.
import base64, json, secrets, sys

req = json.load(sys.stdin)
state = req.get("resource_state") or {}
if req["resource_type"] == "volume":
    print(json.dumps({"resource_outputs": {"source": {"emptyDir": {"medium": "Memory"}}}}))
    sys.exit(0)
svc = "pg-" + req["source_workload"]
state.setdefault("password", secrets.token_hex(8))
marker = "\U0001F510\U0001F4AC%s_password\U0001F4AC\U0001F510" % svc
print(json.dumps({
    "resource_state": state,
    "resource_outputs": {"host": svc, "port": 5432, "username": "orders", "password": marker},
    "manifests": [{
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": svc, "annotations": {"k8s.score.dev/resource-uid": req["resource_uid"],
                                                  "k8s.score.dev/source-workload": req["source_workload"]}},
        "data": {"password": base64.b64encode(state["password"].encode()).decode()},
    }],
}))
