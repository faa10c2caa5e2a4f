#!/usr/bin/env python3
"""A stand-in kubelet for scripts/cluster: plays Nodes against a real kube-apiserver.

There is no container runtime here, so this does what the API shows of a kubelet and nothing else:
it registers Ready Nodes with room for many pods (`--node NAME`, or `--node NAME=TAINT_KEY` for a
node that only pods tolerating TAINT_KEY:NoSchedule land on), and plays as well any Node someone else
registered with the label `chaosrt.dev/stand-in=true` (a test's node of its own); it marks every pod
the scheduler binds to them Running
and Ready (with container statuses), and removes a pod marked for deletion once its grace period has
passed (as a kubelet does when the containers have stopped), with a grace-0 delete conditioned on the
pod's uid so that a replacement of the same name is never touched.

It also answers the API server's log requests (`GET /containerLogs/NS/POD/CONTAINER` on
127.0.0.1:--log-port, TLS) with one line per container: there is no process to log anything else.

Deterministic and quick: it follows a watch, so a bound pod is Running within a few milliseconds, and
a deleted one disappears at its deletionTimestamp. Python standard library only; no kubectl.
"""

import argparse
import datetime
import http.client
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

# How long one watch request lasts before it is renewed.
WATCH_SECONDS = 60

# The label of Nodes registered by others that this kubelet plays too.
STAND_IN_LABEL = "chaosrt.dev/stand-in"


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


class Api:
    """A minimal client: one keep-alive connection per instance, bearer token, verified TLS."""

    def __init__(self, server, ca, token, timeout=10):
        u = urllib.parse.urlsplit(server)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca)
        self.token = token
        self.timeout = timeout
        self.conn = None

    def _connect(self, timeout):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None, content_type="application/json"):
        for attempt in range(3):
            if self.conn is None:
                self.conn = self._connect(self.timeout)
            headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = content_type
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)
                continue
            text = payload.decode("utf-8", "replace")
            return resp.status, (json.loads(text) if text.startswith("{") else text)
        raise RuntimeError("unreachable")

    def watch(self, path):
        """Yields watch events until the server ends the stream."""
        conn = self._connect(WATCH_SECONDS + 10)
        headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError("watch %s: %d %s" % (path, resp.status, resp.read()[:300]))
        try:
            for line in resp:
                line = line.strip()
                if line:
                    yield json.loads(line)
        finally:
            conn.close()


def log(msg):
    print("%s kubelet: %s" % (rfc3339(now()), msg), flush=True)


class Kubelet:
    def __init__(self, args):
        token = open(args.token_file).read().strip()
        self.args = args
        # name -> taint key (or None)
        self.nodes = dict((n.split("=", 1) + [None])[:2] for n in args.node)
        self.api = Api(args.server, args.ca, token)
        self.deleter_api = Api(args.server, args.ca, token)
        self.watch_api = Api(args.server, args.ca, token)
        self.pending = {}  # uid -> (due, namespace, name)
        self.lock = threading.Condition()
        self.next_ip = 2
        self.ips = {}
        self.started = {}  # (namespace, name) -> when the pod was started
        self.others = {}  # node name -> whether it carries STAND_IN_LABEL (nodes are never renamed)

    def register(self, name, taint):
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                },
            },
        }
        status, body = self.api.request("POST", "/api/v1/nodes", node)
        if status not in (201, 409):
            raise RuntimeError("registering node: %d %s" % (status, body))
        # Admission taints a new node not-ready; no node-lifecycle controller runs to lift it.
        taints = [{"key": taint, "value": "true", "effect": "NoSchedule"}] if taint else None
        status, body = self.api.request(
            "PATCH", "/api/v1/nodes/" + name, {"spec": {"taints": taints}}, "application/merge-patch+json"
        )
        if status != 200:
            raise RuntimeError("untainting node: %d %s" % (status, body))
        self.heartbeat(name)

    def heartbeat(self, name):
        t = rfc3339(now())
        res = {"cpu": "32", "memory": "64Gi", "pods": "1000", "ephemeral-storage": "100Gi"}
        status = {
            "status": {
                "capacity": res,
                "allocatable": res,
                "addresses": [
                    {"type": "InternalIP", "address": "127.0.0.1"},
                    {"type": "Hostname", "address": name},
                ],
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "stand-in kubelet is posting ready status",
                        "lastHeartbeatTime": t,
                        "lastTransitionTime": t,
                    }
                ],
                "nodeInfo": {"kubeletVersion": "v1.20.2-standin", "operatingSystem": "linux", "architecture": "amd64"},
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.args.log_port}},
            }
        }
        code, body = self.api.request(
            "PATCH", "/api/v1/nodes/%s/status" % name, status, "application/merge-patch+json"
        )
        if code != 200:
            raise RuntimeError("node status: %d %s" % (code, body))

    def start_pod(self, pod):
        meta, spec = pod["metadata"], pod.get("spec", {})
        key = meta["uid"]
        if key not in self.ips:
            self.ips[key] = "10.244.%d.%d" % (self.next_ip // 250, 2 + self.next_ip % 250)
            self.next_ip += 1
        t = rfc3339(now())
        conds = [
            {"type": c, "status": "True", "lastTransitionTime": t}
            for c in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ]
        statuses = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": t}},
            }
            for c in spec.get("containers", [])
        ]
        body = {
            "status": {
                "phase": "Running",
                "conditions": conds,
                "containerStatuses": statuses,
                "hostIP": "127.0.0.1",
                "podIP": self.ips[key],
                "podIPs": [{"ip": self.ips[key]}],
                "startTime": t,
            }
        }
        path = "/api/v1/namespaces/%s/pods/%s/status" % (meta["namespace"], meta["name"])
        code, resp = self.api.request("PATCH", path, body, "application/merge-patch+json")
        if code == 200:
            self.started[(meta["namespace"], meta["name"])] = t
            log("started %s/%s" % (meta["namespace"], meta["name"]))
        elif code != 404:
            log("starting %s/%s: %d %s" % (meta["namespace"], meta["name"], code, str(resp)[:200]))

    def schedule_removal(self, pod):
        meta = pod["metadata"]
        due = parse_time(meta["deletionTimestamp"]).timestamp()
        with self.lock:
            self.pending[meta["uid"]] = (due, meta["namespace"], meta["name"])
            self.lock.notify()

    def deleter(self):
        while True:
            with self.lock:
                while not self.pending:
                    self.lock.wait()
                uid, (due, ns, name) = min(self.pending.items(), key=lambda kv: kv[1][0])
                wait = due - time.time()
                if wait > 0:
                    self.lock.wait(min(wait, 1.0))
                    continue
                del self.pending[uid]
            body = {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}}
            code, resp = self.deleter_api.request(
                "DELETE", "/api/v1/namespaces/%s/pods/%s" % (ns, name), body
            )
            if code in (200, 202):
                log("removed %s/%s" % (ns, name))
            elif code not in (404, 409):
                log("removing %s/%s: %d %s" % (ns, name, code, str(resp)[:200]))

    def plays(self, node):
        """Whether pods bound to `node` are this kubelet's: its own nodes, and labelled ones."""
        if node in self.nodes:
            return True
        if node not in self.others:
            code, body = self.api.request("GET", "/api/v1/nodes/" + urllib.parse.quote(node))
            if code != 200 or not isinstance(body, dict):
                return False  # asked again with the pod's next event
            self.others[node] = body.get("metadata", {}).get("labels", {}).get(STAND_IN_LABEL) == "true"
        return self.others[node]

    def handle(self, pod):
        meta = pod["metadata"]
        node = pod.get("spec", {}).get("nodeName")
        if not node or not self.plays(node):
            return
        if meta.get("deletionTimestamp"):
            self.schedule_removal(pod)
            return
        if pod.get("status", {}).get("phase", "Pending") == "Pending":
            self.start_pod(pod)

    def serve_logs(self):
        """Container logs, as the API server asks a kubelet for them (`pods/NAME/log`)."""
        started = self.started

        class Logs(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                parts = url.path.strip("/").split("/")
                if len(parts) != 4 or parts[0] != "containerLogs":
                    self.send_error(404)
                    return
                _, ns, pod, container = parts
                query = urllib.parse.parse_qs(url.query)
                at = started.get((ns, pod), rfc3339(now()))
                line = "stand-in container %s of %s/%s started\n" % (container, ns, pod)
                if query.get("timestamps") == ["true"]:
                    line = at.replace("Z", ".000000000Z") + " " + line
                body = line.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.args.log_port), Logs)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.args.cert, self.args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def run(self):
        self.serve_logs()
        for name, taint in self.nodes.items():
            self.register(name, taint)
            log("node %s registered" % name)
        open(self.args.ready_file, "w").write("\n".join(self.nodes) + "\n")
        threading.Thread(target=self.deleter, daemon=True).start()
        # Bound pods only; which of them are this kubelet's is checked per pod.
        selector = urllib.parse.quote("spec.nodeName!=")
        last_beat = time.time()
        while True:
            path = "/api/v1/pods?watch=1&timeoutSeconds=%d&fieldSelector=%s" % (WATCH_SECONDS, selector)
            try:
                # No resourceVersion: the stream starts with the current state, so nothing is missed
                # across renewals (a pod seen twice is handled idempotently).
                for ev in self.watch_api.watch(path):
                    if ev.get("type") in ("ADDED", "MODIFIED"):
                        self.handle(ev["object"])
                    elif ev.get("type") == "ERROR":
                        log("watch error: %s" % str(ev.get("object"))[:200])
                        break
            except Exception as e:  # the API server restarting, a dropped connection
                log("watch: %s" % e)
                time.sleep(0.5)
            if time.time() - last_beat > 30:
                try:
                    for name in self.nodes:
                        self.heartbeat(name)
                    last_beat = time.time()
                except Exception as e:
                    log("heartbeat: %s" % e)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--node", action="append", required=True, help="NAME or NAME=TAINT_KEY; repeatable")
    p.add_argument("--ready-file", required=True)
    p.add_argument("--log-port", type=int, default=10250)
    p.add_argument("--cert", required=True, help="TLS certificate for the log endpoint")
    p.add_argument("--key", required=True)
    args = p.parse_args()
    try:
        Kubelet(args).run()
    except Exception as e:
        log("fatal: %s" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
