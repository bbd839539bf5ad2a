"""Fetching a photo from an ``http(s)://`` address without reaching inside the network.

:func:`fetch_url` is how :func:`tryon.io.load_image` reads a URL. A URL handed in by a user
must not make the server (or a retailer's batch machine) fetch from itself or its private
network (server-side request forgery), so:

1. the host name is resolved and EVERY address it resolves to is checked: loopback, private,
   link-local (``169.254.169.254``, the cloud metadata service), shared, reserved, multicast
   and unspecified addresses are refused, IPv6 ones too, and IPv4 addresses hidden inside IPv6
   ones (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64);
2. the connection goes to the address that was checked (never a second look-up, so a DNS
   answer cannot change in between), with the host name kept for ``Host`` and TLS;
3. redirects are followed by hand, at most :data:`MAX_REDIRECTS`, and each hop is checked again;
4. the body is read up to ``MAX_FILE_BYTES``, under a timeout.

Every refusal is an :class:`~tryon.errors.InvalidImageError` with one sentence.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from typing import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from tryon.constants import MAX_FILE_BYTES
from tryon.errors import InvalidImageError

__all__ = ["is_url", "fetch_url", "is_public_address", "MAX_REDIRECTS"]

SCHEMES = {"http": 80, "https": 443}   # scheme -> default port
MAX_REDIRECTS = 5
TIMEOUT_S = 15.0                        # connect and each read
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 64 * 1024
NAT64 = ipaddress.ip_network("64:ff9b::/96")
USER_AGENT = "tryon (image fetch)"

Resolver = Callable[[str, int], Iterable[str]]   # (host, port) -> IP address strings
Policy = Callable[[str, int], bool]              # (ip, port) -> may we connect


def is_url(source: object) -> bool:
    """Whether ``source`` is a string that names an ``http://`` or ``https://`` address."""
    return isinstance(source, str) and source[:8].lower().startswith(("http://", "https://"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str, port: int = 0) -> bool:
    """Whether ``address`` (an IPv4 or IPv6 string) is a public, routable unicast address
    (and, for IPv6, carries no private IPv4 address inside)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])   # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        if not is_public_address(str(inner)):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback
                                 or ip.is_link_local or ip.is_private or ip.is_unspecified)


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _refused(what: str) -> InvalidImageError:
    return InvalidImageError(f"The {what} address leads to a local or private network, which we do not "
                             "fetch from; please give a public web address or upload the file itself.")


def _unreachable(what: str, why: str) -> InvalidImageError:
    return InvalidImageError(f"We couldn't download the {what} ({why}); please check the address, "
                             "or download the photo and upload the file itself.")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to one checked IP address, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int, ip: str, **kwargs) -> None:
        super().__init__(host, port, **kwargs)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to one checked IP address; TLS is verified for the host name."""

    def __init__(self, host: str, port: int, ip: str, **kwargs) -> None:
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _checked_address(url: str, what: str, resolve: Resolver, allowed: Policy) -> tuple[str, str, int, str]:
    """``(scheme, host, port, ip)`` for ``url`` after checking every address of its host."""
    try:
        parts = urlsplit(url)
        port = parts.port or SCHEMES.get(parts.scheme.lower(), 0)
    except ValueError:
        raise InvalidImageError(f"The {what} address is not a valid web address; please check it.") from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in SCHEMES or not host:
        raise InvalidImageError(f"The {what} address must start with http:// or https:// and name a "
                                "host; please check it.")
    if parts.username or parts.password:
        raise InvalidImageError(f"The {what} address holds a user name or password, which we do not "
                                "send; please give an address without them.")
    try:
        addresses = list(dict.fromkeys(resolve(host, port)))
    except (OSError, UnicodeError):
        raise _unreachable(what, f"the host {host} is not known") from None
    if not addresses:
        raise _unreachable(what, f"the host {host} is not known")
    if not all(allowed(ip, port) for ip in addresses):
        raise _refused(what)
    return scheme, host, port, addresses[0]


def _request(url: str, what: str, resolve: Resolver, allowed: Policy, max_bytes: int):
    """One GET of ``url`` to its checked address: ``(status, location or None, body)``."""
    scheme, host, port, ip = _checked_address(url, what, resolve, allowed)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, ip, timeout=TIMEOUT_S)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
        response = conn.getresponse()
        if response.status in REDIRECTS:
            return response.status, response.getheader("Location"), b""
        if response.status != 200:
            return response.status, None, b""
        body = bytearray()
        while len(body) <= max_bytes and (chunk := response.read(CHUNK)):
            body += chunk
        return response.status, None, bytes(body)
    except (OSError, http.client.HTTPException) as err:   # refused, reset, timeout, TLS
        reason = "it took too long" if isinstance(err, TimeoutError) else f"{type(err).__name__}"
        raise _unreachable(what, reason) from None
    finally:
        conn.close()


def fetch_url(url: str, *, what: str = "image", max_bytes: int = MAX_FILE_BYTES,
              resolve: Resolver | None = None, allowed: Policy | None = None) -> bytes:
    """The bytes at ``url`` (``http`` or ``https``), refusing local and private networks.

    Args:
        url: the address; redirects are followed (each hop checked), at most MAX_REDIRECTS.
        what: names the input in error messages, e.g. ``"person photo"``.
        max_bytes: larger bodies are refused.
        resolve: ``(host, port) -> IP strings``; default: the system's resolver.
        allowed: ``(ip, port) -> bool``; default :func:`is_public_address` (every resolved
            address must pass it).

    Raises:
        InvalidImageError: one sentence: a refused address, an unreachable host, an HTTP error,
            too many redirects, an empty or too large body.
    """
    resolve = resolve or _system_resolver
    allowed = allowed or is_public_address
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _request(url, what, resolve, allowed, max_bytes)
        if location is None:
            break
        url = urljoin(url, location)
    else:
        raise _unreachable(what, f"it redirects more than {MAX_REDIRECTS} times")
    if status in REDIRECTS:
        raise _unreachable(what, "it redirects without saying where")
    if status != 200:
        raise _unreachable(what, f"the server answered HTTP {status}")
    if len(body) > max_bytes:
        raise InvalidImageError(f"The {what} is larger than {max_bytes / 2**20:g} MB; please use a "
                                "smaller photo.")
    if not body:
        raise InvalidImageError(f"The {what} at that address is empty; please check the address.")
    return body
