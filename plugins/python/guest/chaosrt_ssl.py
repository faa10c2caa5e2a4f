"""A stand-in for CPython's `ssl`, which the interpreter inside a chaosrt Python bundle lacks (its
`_ssl` is not built); the dispatcher installs it as `ssl` when `import ssl` fails.

TLS is the host's job: requests leave the sandbox through `wasi:http`, and chaosrt verifies
certificates itself (see docs/python-extensions.md). Libraries such as the kubernetes client and
botocore import `ssl` unconditionally and read its constants or build an `SSLContext` they never use
for a socket; this module lets them import. Anything that would need a real TLS socket raises.
"""

import enum as _enum

# urllib3 refuses to import below "OpenSSL 1.1.1": this says which TLS is really used.
OPENSSL_VERSION = "OpenSSL 3.0.0 (chaosrt stand-in: TLS is done by the host through wasi:http)"
OPENSSL_VERSION_INFO = (3, 0, 0, 0, 0)
OPENSSL_VERSION_NUMBER = 0x30000000
HAS_SNI = True
HAS_ALPN = True
HAS_NEVER_CHECK_COMMON_NAME = True
HAS_TLSv1_3 = True
CHANNEL_BINDING_TYPES = []


class VerifyMode(_enum.IntEnum):
    CERT_NONE = 0
    CERT_OPTIONAL = 1
    CERT_REQUIRED = 2


CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED = VerifyMode


class VerifyFlags(_enum.IntFlag):
    VERIFY_DEFAULT = 0
    VERIFY_CRL_CHECK_LEAF = 4
    VERIFY_CRL_CHECK_CHAIN = 12
    VERIFY_X509_STRICT = 32
    VERIFY_X509_TRUSTED_FIRST = 32768
    VERIFY_X509_PARTIAL_CHAIN = 524288


globals().update(VerifyFlags.__members__)


class Options(_enum.IntFlag):
    OP_ALL = 0x80000BFF
    OP_NO_SSLv2 = 0
    OP_NO_SSLv3 = 0x02000000
    OP_NO_TLSv1 = 0x04000000
    OP_NO_TLSv1_1 = 0x10000000
    OP_NO_TLSv1_2 = 0x08000000
    OP_NO_TLSv1_3 = 0x20000000
    OP_NO_COMPRESSION = 0x20000
    OP_NO_TICKET = 0x4000
    OP_CIPHER_SERVER_PREFERENCE = 0x400000
    OP_SINGLE_DH_USE = 0
    OP_SINGLE_ECDH_USE = 0
    OP_ENABLE_MIDDLEBOX_COMPAT = 0x100000
    OP_NO_RENEGOTIATION = 0x40000000
    OP_IGNORE_UNEXPECTED_EOF = 0x80


globals().update(Options.__members__)


class TLSVersion(_enum.IntEnum):
    MINIMUM_SUPPORTED = -2
    SSLv3 = 768
    TLSv1 = 769
    TLSv1_1 = 770
    TLSv1_2 = 771
    TLSv1_3 = 772
    MAXIMUM_SUPPORTED = -1


class _SSLMethod(_enum.IntEnum):
    PROTOCOL_SSLv23 = 2
    PROTOCOL_TLS = 2
    PROTOCOL_TLS_CLIENT = 16
    PROTOCOL_TLS_SERVER = 17


PROTOCOL_SSLv23 = PROTOCOL_TLS = _SSLMethod.PROTOCOL_TLS
PROTOCOL_TLS_CLIENT = _SSLMethod.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = _SSLMethod.PROTOCOL_TLS_SERVER


class Purpose(_enum.Enum):
    SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
    CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


class SSLError(OSError):
    pass


class SSLZeroReturnError(SSLError):
    pass


class SSLWantReadError(SSLError):
    pass


class SSLWantWriteError(SSLError):
    pass


class SSLSyscallError(SSLError):
    pass


class SSLEOFError(SSLError):
    pass


class SSLCertVerificationError(SSLError, ValueError):
    pass


CertificateError = SSLCertVerificationError


def _no_sockets(*_args, **_kwargs):
    raise SSLError(
        "TLS sockets are not available inside a chaosrt plugin: HTTPS goes through the host "
        "(wasi:http), which verifies certificates itself"
    )


class SSLContext:
    """Holds what a library configures; the host does the TLS of every request regardless."""

    def __init__(self, protocol=PROTOCOL_TLS_CLIENT, *_args, **_kwargs):
        self.protocol = protocol
        self.verify_mode = CERT_REQUIRED
        self.check_hostname = True
        self.options = OP_ALL
        self.verify_flags = VERIFY_DEFAULT
        self.minimum_version = TLSVersion.MINIMUM_SUPPORTED
        self.maximum_version = TLSVersion.MAXIMUM_SUPPORTED
        self.post_handshake_auth = False
        self.keylog_filename = None
        self.hostname_checks_common_name = False

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        pass

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        pass

    def load_default_certs(self, purpose=Purpose.SERVER_AUTH):
        pass

    def set_default_verify_paths(self):
        pass

    def set_ciphers(self, ciphers):
        pass

    def set_alpn_protocols(self, protocols):
        pass

    def get_ca_certs(self, binary_form=False):
        return []

    def cert_store_stats(self):
        return {"x509": 0, "crl": 0, "x509_ca": 0}

    wrap_socket = _no_sockets
    wrap_bio = _no_sockets


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    return SSLContext(PROTOCOL_TLS_CLIENT)


_create_default_https_context = create_default_context
_create_unverified_context = create_default_context
wrap_socket = _no_sockets


class SSLSocket:
    def __init__(self, *args, **kwargs):
        _no_sockets()


class SSLObject:
    def __init__(self, *args, **kwargs):
        _no_sockets()


class MemoryBIO:
    def __init__(self, *args, **kwargs):
        _no_sockets()


def match_hostname(cert, hostname):
    pass


def get_default_verify_paths():
    import collections

    paths = collections.namedtuple(
        "DefaultVerifyPaths",
        "cafile capath openssl_cafile_env openssl_cafile openssl_capath_env openssl_capath",
    )
    return paths(None, None, "SSL_CERT_FILE", "", "SSL_CERT_DIR", "")


def DER_cert_to_PEM_cert(der_cert_bytes):
    import base64
    import textwrap

    text = base64.standard_b64encode(der_cert_bytes).decode("ascii")
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(text, 64)) + "\n-----END CERTIFICATE-----\n"


def PEM_cert_to_DER_cert(pem_cert_string):
    import base64

    body = pem_cert_string.strip()
    body = body[len("-----BEGIN CERTIFICATE-----") : -len("-----END CERTIFICATE-----")]
    return base64.decodebytes(body.encode("ascii"))
