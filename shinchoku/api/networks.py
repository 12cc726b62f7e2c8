"""The addresses an API client may call from: parsing what an admin typed, and matching a caller.

No Django here. Entries are single addresses or CIDR networks, IPv4 or IPv6, stored in their
normalised form ("192.0.2.0/24", "2001:db8::/32"; a single address becomes a /32 or /128).
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Iterable

MAX_NETWORKS = 50


class NetworkError(ValueError):
    """An entry cannot be used; the message is a Japanese sentence for the admin."""


def parse_networks(entries: Iterable[str]) -> list[str]:
    """Normalised, de-duplicated networks in the order given; blank entries are skipped."""
    found: list[str] = []
    for number, raw in enumerate(entries, start=1):
        text = unicodedata.normalize("NFKC", raw).strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise NetworkError(
                    f"{number}行目「{text[:60]}」はIPアドレスまたはネットワーク(例: 192.0.2.10、192.0.2.0/24)ではありません。"
                ) from None
            raise NetworkError(
                f"{number}行目「{text}」はネットワークの範囲を表していません。{loose} のことでしょうか。"
            ) from None
        if str(network) not in found:
            found.append(str(network))
    if len(found) > MAX_NETWORKS:
        raise NetworkError(f"許可するIPアドレスは{MAX_NETWORKS}件までにしてください。")
    return found


def address_allowed(address: str | None, networks: Iterable[str]) -> bool:
    """Whether ``address`` falls in one of ``networks``; no networks means any address."""
    allowed = [ipaddress.ip_network(n) for n in networks]
    if not allowed:
        return True
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)  # ::ffff:192.0.2.1 from a dual-stack listener
    return any(c.version == n.version and c in n for c in candidates for n in allowed)
