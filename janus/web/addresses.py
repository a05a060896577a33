"""Client addresses: which request came from whom, and lists of addresses and
networks (``JANUS_TRUSTED_PROXIES``, ``JANUS_METRICS_ALLOW``) to match them
against, parsed once when the app is built.

Every request runs ``client_address``, so matching costs a set lookup of the
address as the server wrote it; only a list holding a network parses the
address (``socket.inet_pton``, a few hundred nanoseconds, not ``ipaddress``'s
several microseconds).
"""
from __future__ import annotations

import ipaddress
import socket

_MAPPED_PREFIX = 0xFFFF  # ::ffff:0:0/96, IPv4-mapped IPv6 addresses
# Addresses matched against networks are remembered (a proxy's peer address
# repeats on every request), this many at most before starting afresh.
_REMEMBERED = 4096


def _variants(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> set[str]:
    """The texts a peer or proxy writes for ``address``: an IPv4 address also
    arrives IPv4-mapped from a dual-stack socket ("::ffff:10.0.0.1", which
    Python spells "::ffff:a00:1")."""
    found = {str(address)}
    if address.version == 4:
        found |= {f"::ffff:{address}", str(ipaddress.IPv6Address(f"::ffff:{address}"))}
    return found


def _integers(address: str) -> tuple[tuple[int, int], ...]:
    """(version, address as an integer) for ``address`` as text, and for the
    IPv4 address behind an IPv4-mapped one; () for anything else (a
    proxy's "unknown", a port)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        value = int.from_bytes(socket.inet_pton(family, address.partition("%")[0]), "big")
    except (OSError, ValueError):
        return ()
    if family == socket.AF_INET:
        return ((4, value),)
    if value >> 32 == _MAPPED_PREFIX:
        return (6, value), (4, value & 0xFFFFFFFF)
    return ((6, value),)


class AddressList:
    """Addresses and CIDR networks, IPv4 and IPv6; ``in`` takes an address as
    text (anything unparseable is not in it). The items must be valid: the
    configuration checked them (janus.config)."""

    def __init__(self, items=()):
        parsed = [ipaddress.ip_network(item, strict=False) for item in items]
        exact = set()
        for network in parsed:
            if network.num_addresses == 1:
                exact |= _variants(network.network_address)
        self.exact = frozenset(exact)
        # Every item, as (version, network, mask) integers; consulted only when
        # one of them is a network: exact addresses alone need the set only.
        self.networks = tuple((net.version, int(net.network_address), int(net.netmask))
                              for net in parsed) \
            if any(net.num_addresses > 1 for net in parsed) else ()
        self._seen: dict[str | None, bool] = {}

    def __contains__(self, address: str | None) -> bool:
        return address in self.exact or bool(self.networks and self.in_networks(address))

    def in_networks(self, address: str | None) -> bool:
        found = self._seen.get(address)
        if found is None:
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            found = self._seen[address] = bool(address) and any(
                version == wanted and value & mask == network
                for version, value in _integers(address)
                for wanted, network, mask in self.networks)
        return found


def client_address(remote_addr: str | None, forwarded_for: str,
                   trusted: AddressList) -> tuple[str | None, bool]:
    """(the client's address, whether it is the client's own).

    Behind a reverse proxy REMOTE_ADDR is the proxy (gunicorn does not
    rewrite it), so when the peer is one of JANUS_TRUSTED_PROXIES the
    X-Forwarded-For chain is read from the right, skipping trusted hops;
    anything a client put further left is ignored.

    The address is the client's own only when it names that client alone: the
    peer of a request without X-Forwarded-For, or the hop a trusted proxy
    reports. It is shared (False) when an untrusted peer sent
    X-Forwarded-For (a proxy nobody listed: every client behind it has its
    address), or when it is a trusted proxy's own address.
    """
    # The set lookups are inlined: this runs for every request.
    exact, networks = trusted.exact, trusted.networks
    peer_trusted = remote_addr in exact or bool(networks and trusted.in_networks(remote_addr))
    if not forwarded_for:
        return remote_addr, not peer_trusted
    if not peer_trusted:
        return remote_addr, False
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in exact and not (networks and trusted.in_networks(hop)):
            return hop, True
    return (hops[0] if hops else remote_addr), False
