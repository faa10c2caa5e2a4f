"""jmespath-probe: a chaosrt plugin in Python. It fetches a JSON API and answers a JMESPath
expression over the response body, so an experiment's tolerance can judge one value of it
(`"replicas[?healthy] | length(@)"`, `"status.phase"`).

It carries its dependency, the pure-Python `jmespath` package, inside the component: the build
installs requirements.txt into build/deps and componentize-py bundles that directory.
"""

import json

import jmespath
import wit_world
from componentize_py_types import Err
from wit_world.imports import chaosrt_plugin_types as t
from wit_world.imports import log

import http_get


class WitWorld(wit_world.WitWorld):
    pass


QUERY = t.Activity(
    name="query",
    kind=t.ActivityKind.PROBE,
    description="GET a JSON document and evaluate a JMESPath expression on it; the result is the output",
    arguments=[
        t.ArgumentSpec("url", t.ArgumentType.STRING, True, None, "The JSON API endpoint (http or https)"),
        t.ArgumentSpec("expression", t.ArgumentType.STRING, True, None, "A JMESPath expression, e.g. `items[?ready].name`"),
        t.ArgumentSpec("headers", t.ArgumentType.OBJECT, False, "{}", "Request headers, e.g. {\"Accept\": \"application/json\"}"),
    ],
)


class Plugin:
    def metadata(self) -> t.PluginMetadata:
        return t.PluginMetadata(
            name="jmespath-probe",
            version="0.1.0",
            description="Fetches a JSON API and answers a JMESPath expression over its body (Python, jmespath bundled)",
            # The origin of the URL each call names in `url`, as the experiment wrote it.
            capabilities=[t.Capability_HttpArgument("url")],
            activities=[QUERY],
        )

    def invoke(self, activity: str, arguments: str) -> str:
        if activity != QUERY.name:
            raise Err(t.Error_UnknownActivity(activity))
        args = json.loads(arguments)
        url, expression, headers = args.get("url"), args.get("expression"), args.get("headers") or {}
        if not isinstance(url, str):
            raise Err(t.Error_InvalidArguments("argument `url` must be a string"))
        if not isinstance(expression, str):
            raise Err(t.Error_InvalidArguments("argument `expression` must be a string"))
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise Err(t.Error_InvalidArguments("argument `headers` must be an object of strings"))
        try:
            compiled = jmespath.compile(expression)
        except jmespath.exceptions.ParseError as e:
            raise Err(t.Error_InvalidArguments(f"`expression` is not JMESPath: {e}"))
        try:
            response = http_get.get(url, headers)
        except http_get.Denied as e:
            raise Err(t.Error_Denied(str(e)))
        except http_get.HttpFailed as e:
            raise Err(t.Error_Failed(str(e)))
        if not 200 <= response.status < 300:
            raise Err(t.Error_Failed(f"{response.url} answered {response.status}"))
        try:
            document = json.loads(response.body)
        except ValueError as e:
            raise Err(t.Error_Failed(f"{response.url} did not answer JSON: {e}"))
        log.log(log.Level.DEBUG, f"{len(response.body)} bytes from {response.url}")
        try:
            return json.dumps(compiled.search(document))
        except Exception as e:
            # JMESPathError for type errors the library checks, and a bare TypeError for the ones it
            # does not (`[?@ > `1`]` over a list holding a string, in jmespath 1.0.1).
            raise Err(t.Error_Failed(f"evaluating `{expression}`: {type(e).__name__}: {e}"))
