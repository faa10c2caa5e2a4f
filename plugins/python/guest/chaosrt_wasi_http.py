"""urllib3 over `wasi:http`: a stand-in for `urllib3.contrib.emscripten.fetch`.

urllib3 2.x has a pluggable backend for Pyodide whose connection classes call two functions of its
`fetch` module. This module provides those functions speaking `wasi:http/outgoing-handler` instead of
JavaScript, and `install()` puts it in `sys.modules` under that name before urllib3's own
`inject_into_urllib3()` switches the connection classes. Everything above urllib3 (requests,
sessions, retries, redirects) is unchanged. The host checks every request against the plugin's grants
before connecting, and does TLS; a refused request raises here as a connection error.

Not supported: streaming (a `stream=True` body is read whole first), client certificates, proxies.
"""

import sys
import zlib
from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, poll, streams
from wit_world.imports import wasi_http_types as http

# The request headers wasmtime refuses to take from a guest: the host sets them itself.
_FORBIDDEN = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
}

_CHUNK = 4096
# urllib3's response record, set by `install()` (imported then, at build time: modules first imported
# at run time may not be in the component).
_Response = None
_METHODS = {
    "GET": http.Method_Get,
    "HEAD": http.Method_Head,
    "POST": http.Method_Post,
    "PUT": http.Method_Put,
    "DELETE": http.Method_Delete,
    "CONNECT": http.Method_Connect,
    "OPTIONS": http.Method_Options,
    "TRACE": http.Method_Trace,
    "PATCH": http.Method_Patch,
}


class _RequestError(Exception):
    def __init__(self, message=None, *, request=None, response=None):
        self.request = request
        self.response = response
        self.message = message
        super().__init__(self.message)


class _StreamingError(_RequestError):
    pass


class _TimeoutError(_RequestError):
    pass


def _body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


def _error_text(code):
    name = type(code).__name__.removeprefix("ErrorCode_")
    value = getattr(code, "value", None)
    return f"{name}: {value}" if value is not None else name


def _wait(future, request):
    while True:
        result = future.get()
        if result is not None:
            break
        with future.subscribe() as pollable:
            pollable.block()
    if isinstance(result, Err):
        raise _RequestError("the response was already taken", request=request)
    inner = result.value
    if isinstance(inner, Err):
        code = inner.value
        if isinstance(code, (http.ErrorCode_ConnectionTimeout, http.ErrorCode_ConnectionReadTimeout,
                             http.ErrorCode_HttpResponseTimeout)):
            raise _TimeoutError(f"{request.url}: {_error_text(code)}", request=request)
        if isinstance(code, http.ErrorCode_HttpRequestDenied):
            raise _RequestError(
                f"{request.url}: the chaosrt host refused this request (the plugin is not granted "
                "this origin)",
                request=request,
            )
        raise _RequestError(f"{request.url}: {_error_text(code)}", request=request)
    return inner.value


def _read_all(stream):
    parts = []
    while True:
        try:
            parts.append(stream.blocking_read(1 << 16))
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                return b"".join(parts)
            raise _RequestError(f"reading the response failed: {e.value}")


def _decoded(headers, body):
    """Undoes a content-encoding, as a browser would (urllib3's emscripten response expects it)."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        try:
            body = zlib.decompress(body)
        except zlib.error:
            body = zlib.decompress(body, -zlib.MAX_WBITS)
    else:
        return headers, body
    headers = {k: v for k, v in headers.items() if k not in ("content-encoding", "content-length")}
    return headers, body


def send_request(request):
    url = urlsplit(request.url)
    if url.scheme not in ("http", "https"):
        raise _RequestError(f"{request.url}: only http and https URLs", request=request)
    entries = []
    for name, value in request.headers.items():
        if name.lower() in _FORBIDDEN:
            continue
        entries.append((name, value.encode("latin-1") if isinstance(value, str) else bytes(value)))
    fields = http.Fields.from_list(entries)
    outgoing = http.OutgoingRequest(fields)
    method = request.method.upper()
    outgoing.set_method(_METHODS[method]() if method in _METHODS else http.Method_Other(method))
    outgoing.set_scheme(http.Scheme_Https() if url.scheme == "https" else http.Scheme_Http())
    outgoing.set_authority(url.netloc)
    outgoing.set_path_with_query((url.path or "/") + (f"?{url.query}" if url.query else ""))
    options = None
    if request.timeout:
        options = http.RequestOptions()
        nanos = int(request.timeout * 1_000_000_000)
        options.set_connect_timeout(nanos)
        options.set_first_byte_timeout(nanos)
        options.set_between_bytes_timeout(nanos)
    body = _body_bytes(request.body)
    outgoing_body = outgoing.body()
    try:
        future = outgoing_handler.handle(outgoing, options)
    except Err as e:
        raise _RequestError(f"{request.url}: {_error_text(e.value)}", request=request)
    with outgoing_body.write() as out:
        for start in range(0, len(body), _CHUNK):
            out.blocking_write_and_flush(body[start : start + _CHUNK])
    http.OutgoingBody.finish(outgoing_body, None)
    response = _wait(future, request)
    headers = {}
    for name, value in response.headers().entries():
        name = name.lower()
        text = value.decode("latin-1")
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    status = response.status()
    incoming = response.consume()
    with incoming.stream() as stream:
        data = _read_all(stream)
    headers, data = _decoded(headers, data)
    return _Response(status_code=status, headers=headers, body=data, request=request)


def send_streaming_request(request):
    """Streaming is not supported: the caller falls back to `send_request`."""
    return None


def install():
    """Routes urllib3 (and so requests) through `wasi:http`."""
    sys.modules["urllib3.contrib.emscripten.fetch"] = sys.modules[__name__]
    from urllib3.contrib.emscripten import inject_into_urllib3

    inject_into_urllib3()
    global _Response
    from urllib3.contrib.emscripten.response import EmscriptenResponse as _Response
