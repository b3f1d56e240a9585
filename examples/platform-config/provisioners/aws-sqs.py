#!/usr/bin/env python3
"""aws-sqs: a score-k8s cmd:// provisioner for SQS queues.

Reads the provisioning request (JSON) on stdin, prints the response (JSON) on
stdout. The queue name is generated once and kept in the resource state, so
every reconcile gives the same URL. The queue itself is requested through a
Crossplane-style claim manifest; nothing here talks to AWS.
"""
import json
import secrets
import sys

ACCOUNT = "123456789012"

req = json.load(sys.stdin)
params = req.get("resource_params") or {}
state = dict(req.get("resource_state") or {})
region = params.get("region", "eu-west-1")
fifo = bool(params.get("fifo", False))
if "name" not in state:
    state["name"] = "%s-%s%s" % (req["source_workload"], secrets.token_hex(4), ".fifo" if fifo else "")
name = state["name"]
out = {
    "resource_state": state,
    "resource_outputs": {
        "name": name,
        "region": region,
        "url": "https://sqs.%s.amazonaws.com/%s/%s" % (region, ACCOUNT, name),
        "arn": "arn:aws:sqs:%s:%s:%s" % (region, ACCOUNT, name),
    },
    "manifests": [{
        "apiVersion": "sqs.aws.upbound.io/v1beta1",
        "kind": "Queue",
        "metadata": {
            "name": name.replace(".", "-"),
            "annotations": {
                "k8s.score.dev/source-workload": req["source_workload"],
                "k8s.score.dev/resource-uid": req["resource_uid"],
                "k8s.score.dev/resource-guid": req["resource_guid"],
            },
        },
        "spec": {"forProvider": {"name": name, "region": region, "fifoQueue": fifo}},
    }],
}
json.dump(out, sys.stdout)
