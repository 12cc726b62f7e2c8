"""Request helpers shared by every app."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: behind N trusted proxies, the N-th entry from the right of XFF."""
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return str(forwarded[-proxies])
    remote = request.META.get("REMOTE_ADDR")
    return str(remote) if remote else None


# An IPv6 client usually holds a whole /64 (SLAAC, privacy addresses): counting per address
# would let it rotate through 2**64 of them.
IPV6_PREFIX = 64


def client_network(ip: str) -> str:
    """One spelling per client for counting: IPv4 (also IPv4-mapped IPv6) as is, IPv6 as its /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]  # not an address (client_ip passes a proxy's header through); keep it bounded
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
