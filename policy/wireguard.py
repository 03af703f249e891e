"""WireGuard away from home: one WireGuard instance per device, and who each instance is.

Every peer of a mitmproxy WireGuard instance appears as 10.0.0.1, so the instance *is* the
device: ``hearthguard run --mode wireguard:<device>.json@<port>`` keeps that device's keys in
``<data dir>/wireguard/<device>.json`` and every connection through it is that device's. The
proxy then treats such a connection as coming from the device's own address (the one parents
gave it at home), so it has the same profile, rules and log away as at home. A device without
an address, or an instance whose file names no device, gets an address of its own in
``IDENTITY_NETWORK`` (one per port), which the dashboard lists as a new device.

No mitmproxy here: keys are X25519 keys made and read with ``cryptography``, in the JSON
file format mitmproxy reads (``server_key``, ``client_key``; Hearthguard adds ``port``).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from classifier.files import atomic_write_text
from policy.messages import N_
from policy.network import is_loopback
from policy.validate import InputError
from policy.values import Device

__all__ = [
    "IDENTITY_NETWORK",
    "WireGuardKeys",
    "client_config",
    "device_slug",
    "identity_address",
    "in_identity_network",
    "instance_address",
    "key_file",
    "public_key",
    "read_keys",
    "wireguard_dir",
    "write_keys",
]

#: Addresses that stand for WireGuard instances without a device address (unique-local, so in
#: the household's default LAN ranges). No device on the LAN may use them: the proxy refuses
#: a non-WireGuard client from this range.
IDENTITY_NETWORK = ipaddress.IPv6Network("fd68:6777:6700::/112")
TUNNEL_ADDRESS = "10.0.0.1/32"
TUNNEL_DNS = "10.0.0.53"
_SLUG = re.compile(r"[^a-z0-9]+")
_ENDPOINT_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}")


def device_slug(name: str) -> str:
    """The file-name form of a device name: ``Mia's phone`` -> ``mia-s-phone``."""
    slug = _SLUG.sub("-", name.lower()).strip("-")[:60]
    if not slug:
        raise InputError("device", f"“{name[:40]}” cannot name a WireGuard device.")
    return slug


def key_file(wireguard_dir: Path, spec_data: str) -> Path:
    """Where an instance's keys live: a bare ``NAME`` or ``NAME.json`` in a mode spec is
    ``<wireguard_dir>/<slug>.json``; a path with a directory is kept as it is."""
    if "/" in spec_data:
        return Path(spec_data).expanduser()
    stem = spec_data[:-5] if spec_data.endswith(".json") else spec_data
    return wireguard_dir / f"{device_slug(stem)}.json"


def identity_address(port: int) -> str:
    """The address standing for the WireGuard instance on ``port`` (no device address)."""
    return str(IDENTITY_NETWORK[port])


def in_identity_network(ip: str) -> bool:
    """True for addresses that only WireGuard instances may stand for."""
    try:
        return ipaddress.ip_address(ip.split("%", 1)[0]) in IDENTITY_NETWORK
    except ValueError:
        return False


def instance_address(
    spec_data: str,
    port: int,
    devices: Mapping[str, Device] | list[Device],
    own_addresses: frozenset[str] = frozenset(),
) -> str:
    """The client address a connection through this WireGuard instance is treated as: the
    address of the device the key file names (by its slug), else ``identity_address(port)``.
    Never a loopback address nor one of ``own_addresses`` (that would make a remote device
    "this machine", which may reach the box's own services)."""
    stem = Path(spec_data).name
    stem = stem[:-5] if stem.endswith(".json") else stem
    values = devices.values() if isinstance(devices, Mapping) else devices
    for device in values:
        try:
            matches = device_slug(device.name) == stem
        except InputError:
            continue
        if matches and device.ip and not is_loopback(device.ip) and device.ip not in own_addresses:
            return device.ip
    return identity_address(port)


@dataclass(frozen=True, slots=True)
class WireGuardKeys:
    """One instance's key file: the server's and the device's private keys, and the port
    the instance listened on when it was last started (0 before that)."""

    server_key: str
    client_key: str
    port: int = 0


def wireguard_dir(data_root: Path) -> Path:
    """The folder of the household's WireGuard key files."""
    return data_root / "wireguard"


# cryptography (7 MiB) is imported only where keys are made or read: the dashboard pages that
# list devices never need it


def _new_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    raw = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def public_key(private_key: str) -> str:
    """The WireGuard public key (base64) of a private key (base64)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    try:
        raw = base64.b64decode(private_key, validate=True)
        key = X25519PrivateKey.from_private_bytes(raw)
    except ValueError:
        raise InputError("wireguard", "not a WireGuard private key") from None
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(public).decode("ascii")


def read_keys(path: Path) -> WireGuardKeys:
    """The keys in ``path``; an unreadable or damaged file is an ``InputError``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        keys = WireGuardKeys(
            str(raw["server_key"]), str(raw["client_key"]), int(raw.get("port", 0))
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError("wireguard", f"{path.name} is not a WireGuard key file ({exc}).") from None
    public_key(keys.server_key)
    public_key(keys.client_key)
    return keys


def write_keys(path: Path, port: int) -> WireGuardKeys:
    """The keys in ``path``, made first if the file does not exist (readable by this user
    only); the port is recorded so the dashboard can write the device's configuration."""
    keys = read_keys(path) if path.exists() else WireGuardKeys(_new_key(), _new_key())
    if keys.port == port and path.exists():
        return keys
    keys = WireGuardKeys(keys.server_key, keys.client_key, port)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_text(
        path,
        json.dumps(
            {"server_key": keys.server_key, "client_key": keys.client_key, "port": port}, indent=4
        ),
        perms=0o600,
    )
    return keys


def clean_endpoint_host(host: str) -> str:
    """A host name or address for a client configuration's ``Endpoint``."""
    host = host.strip()
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return f"[{address}]" if address.version == 6 else str(address)
    if not _ENDPOINT_HOST.fullmatch(host) or host.startswith("["):
        raise InputError(
            "endpoint", N_("“%(value)s” is not a host name or address."), value=host[:40]
        )
    return host


def client_config(keys: WireGuardKeys, endpoint: str, port: int | None = None) -> str:
    """The device's WireGuard configuration (for the app or ``wg-quick``). Every IPv4 and
    IPv6 destination goes into the tunnel, so nothing leaves beside the filter; names are
    resolved by Hearthguard inside the tunnel."""
    host = clean_endpoint_host(endpoint)
    port = port or keys.port
    if not 1 <= port <= 65535:
        raise InputError("wireguard", "this WireGuard instance has not been started yet")
    return (
        "[Interface]\n"
        f"PrivateKey = {keys.client_key}\n"
        f"Address = {TUNNEL_ADDRESS}\n"
        f"DNS = {TUNNEL_DNS}\n"
        "\n"
        "[Peer]\n"
        f"PublicKey = {public_key(keys.server_key)}\n"
        "AllowedIPs = 0.0.0.0/0, ::/0\n"
        f"Endpoint = {host}:{port}\n"
        "PersistentKeepalive = 25\n"
    )
