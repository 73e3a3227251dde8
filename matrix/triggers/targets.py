"""Outbound targets (webhooks, the dorking backend): which URLs we are willing to call.

Why: a webhook URL comes from configuration or an API caller, and the dispatcher runs inside the
cluster, next to cloud metadata endpoints (169.254.169.254) and internal services. A target must
be http(s) with a host, and every address the host resolves to must be public - unless the
operator lists private ranges explicitly (`triggers.allow_private_networks`, e.g. the tests allow
`127.0.0.1/32`). The check runs at config load for literal addresses and again before each request
(names are resolved then). Cloud metadata addresses stay forbidden even when a range covering them
is allowed, except when that exact address is listed.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Callable, Iterable, Sequence
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
# Metadata services: never reachable through a broad allowance such as 169.254.0.0/16 or 0.0.0.0/0.
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")}

Resolver = Callable[[str, int], Iterable[str]]


class UnsafeTarget(ValueError):
    """The URL is not one we call. The message never repeats the full URL (it may be a secret)."""


def _networks(allow: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for cidr in allow:
        try:
            out.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            raise UnsafeTarget(f"allow_private_networks: {cidr!r} is not an address range (e.g. 127.0.0.1/32)") from None
    return out


def check_address(addr: str, allow: Sequence[str] = ()) -> None:
    """Raise UnsafeTarget unless `addr` is a public address or inside an allowed range."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    nets = _networks(allow)
    if ip in METADATA_ADDRESSES:
        if any(n.prefixlen == n.max_prefixlen and ip in n for n in nets):
            return
        raise UnsafeTarget(f"address {ip} is a cloud metadata endpoint")
    if ip.is_global and not ip.is_multicast:
        return
    if any(ip in n for n in nets):
        return
    raise UnsafeTarget(f"address {ip} is not public (private, loopback, link-local or reserved); "
                       f"allow it with triggers.allow_private_networks")


def parse_target(url: object) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or UnsafeTarget naming what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeTarget("not a URL (empty)")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeTarget("not a URL (unparseable host or port)") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeTarget(f"scheme {scheme or '(none)'!r} is not allowed; use http or https")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("not a URL (no host)")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials in the URL are not allowed")
    return scheme, host, port or (443 if scheme == "https" else 80)


def _system_resolver(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def check_url(url: object, allow: Sequence[str] = (), resolve: bool = True,
              resolver: Resolver = _system_resolver) -> list[str]:
    """Validate a target; with `resolve`, every address the host resolves to must pass. Returns them.

    Without `resolve` (config load: no network), only literal addresses are checked."""
    _, host, port = parse_target(url)
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        check_address(str(literal), allow)
        return [str(literal)]
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        check_address("127.0.0.1", allow)
    if not resolve:
        return []
    try:
        addrs = list(resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"host does not resolve ({type(exc).__name__})") from None
    if not addrs:
        raise UnsafeTarget("host resolves to no address")
    for a in addrs:
        check_address(a, allow)
    return addrs

