"""A small blocking HTTP client over `wasi:http/outgoing-handler`, the only way out of the sandbox.

The host checks every request against the plugin's grants before it connects; a refused request
comes back as `HTTP-request-denied`, which this module raises as `Denied`. Redirects are followed
like Python's `requests` does, each hop being a new request the host checks again.
"""

from urllib.parse import urljoin, urlsplit

from componentize_py_types import Err
from wit_world.imports import outgoing_handler, streams
from wit_world.imports import wasi_http_types as http

MAX_BODY = 8 * 1024 * 1024
MAX_REDIRECTS = 5


class Denied(Exception):
    """The host refused the request: the plugin is not granted that origin."""


class HttpFailed(Exception):
    """The request could not be completed."""


class Response:
    def __init__(self, url: str, status: int, body: bytes):
        self.url = url
        self.status = status
        self.body = body


def get(url: str, headers: dict[str, str] | None = None) -> Response:
    """GET `url`, following up to MAX_REDIRECTS redirects; the body is read up to MAX_BODY bytes."""
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _once(url, headers or {})
        if status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            continue
        return Response(url, status, body)
    raise HttpFailed(f"more than {MAX_REDIRECTS} redirects, the last to {url}")


def _once(url: str, headers: dict[str, str]) -> tuple[int, str | None, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HttpFailed(f"not an http(s) URL: {url!r}")
    fields = http.Fields.from_list([(k, v.encode()) for k, v in headers.items()])
    request = http.OutgoingRequest(fields)
    request.set_method(http.Method_Get())
    request.set_scheme(http.Scheme_Https() if parts.scheme == "https" else http.Scheme_Http())
    request.set_authority(parts.netloc)
    request.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    future = outgoing_handler.handle(request, None)
    future.subscribe().block()
    answer = future.get()
    # option<result<result<incoming-response, error-code>>>: the inner result carries the outcome.
    if answer is None or isinstance(answer.value, Err):
        raise HttpFailed(f"no response from {url}")
    outcome = answer.value
    if isinstance(outcome, Err) or not isinstance(outcome.value, http.IncomingResponse):
        code = outcome.value
        if isinstance(code, http.ErrorCode_HttpRequestDenied):
            raise Denied(f"the host refused a request to {parts.scheme}://{parts.netloc}")
        raise HttpFailed(f"GET {url} failed: {type(code).__name__.removeprefix('ErrorCode_')}")
    response = outcome.value
    location = next((v.decode() for k, v in response.headers().entries() if k.lower() == "location"), None)
    return response.status(), location, _read_body(response, url)


def _read_body(response: http.IncomingResponse, url: str) -> bytes:
    body = response.consume()
    stream = body.stream()
    chunks, size = [], 0
    while True:
        try:
            chunk = stream.blocking_read(65536)
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise HttpFailed(f"reading the body from {url} failed")
        size += len(chunk)
        if size > MAX_BODY:
            raise HttpFailed(f"the body from {url} is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    stream.__exit__(None, None, None)
    http.IncomingBody.finish(body)
    return b"".join(chunks)
