"""Runs Hearthguard: the mitmproxy-based filter in this process, the dashboard in a child process.

The dashboard is a separate process so that a slow page render can never stall the proxy's
event loop. It runs only while it is used: this process listens on the dashboard's port and
starts the dashboard when a connection arrives, handing it the listening socket; the dashboard
exits after ``dashboard_idle`` seconds without a request (0 keeps it running from the start),
and the next connection starts it again. One that fails is started again at the next
connection, a bounded number of times in a row.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from mitmproxy import certs, exceptions, options, optmanager

from classifier.files import atomic_write_bytes
from hearthguard.master import lean_master
from hearthguard.updater import keep_lists_fresh
from policy.accounts import new_setup_token
from policy.datadir import DataDir
from policy.store import PolicyStore
from proxy_addons.dnsfilter import resolve_after_filter
from proxy_addons.main import make_filter

__all__ = ["RunConfig", "dashboard_certificate", "run_hearthguard"]

log = logging.getLogger("hearthguard")
_DASHBOARD_RESTARTS = 5


@dataclass(frozen=True)
class RunConfig:
    data: DataDir
    listen_host: str
    proxy_port: int
    dashboard_port: int
    modes: tuple[str, ...]
    dashboard_idle: float  # seconds without a request before the dashboard rests; 0: never
    settings: tuple[str, ...] = ()


def _public_host(listen_host: str) -> str:
    """The address to print for people: the machine's LAN address when listening everywhere."""
    if listen_host not in ("0.0.0.0", "::", ""):
        return listen_host
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the route
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def dashboard_certificate(data: DataDir, hosts: list[str]) -> Path:
    """Issue the dashboard's TLS certificate from Hearthguard's CA (certificate and key, 0600)."""
    store = certs.CertStore.from_store(str(data.ca_dir), "mitmproxy", 2048)
    names = sorted(
        {
            h
            for h in (*hosts, "localhost", "127.0.0.1", socket.gethostname())
            if h and h not in ("0.0.0.0", "::")
        }
    )
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    entry = store.get_cert("localhost", sans, organization="Hearthguard")
    key = entry.privatekey.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    atomic_write_bytes(data.dashboard_tls, entry.cert.to_pem() + key, perms=0o600)
    return data.dashboard_tls


class Dashboard:
    """The dashboard child process, started when a connection arrives on its port."""

    def __init__(self, config: RunConfig, tls_pem: Path) -> None:
        self.listener = _listen(config.listen_host, config.dashboard_port)
        self.idle = config.dashboard_idle
        self.command = [
            sys.executable,
            "-m",
            "dashboard.serve",
            "--data-dir",
            str(config.data.root),
            "--host",
            config.listen_host,
            "--fd",
            str(self.listener.fileno()),
            "--idle-exit",
            str(self.idle),
            "--tls",
            str(tls_pem),
            "--proxy-port",
            str(config.proxy_port),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.failures = 0  # exits with an error since the last clean one
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Start the dashboard now (when it never rests) or at the next connection."""
        self._loop = asyncio.get_running_loop()
        if self.idle > 0:
            self._loop.add_reader(self.listener.fileno(), self._spawn)
        else:
            self._spawn()

    def _spawn(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.listener.fileno())
        self.process = subprocess.Popen(self.command, pass_fds=(self.listener.fileno(),))

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(1)
            if self.process is None or self.process.poll() is None:
                continue
            code, self.process = self.process.returncode, None
            if code == 0:
                self.failures = 0
                log.info("The dashboard is resting until its next visitor.")
            else:
                self.failures += 1
                if self.failures > _DASHBOARD_RESTARTS:
                    log.error("The dashboard keeps exiting (code %s); not starting it again.", code)
                    self.listener.close()
                    return
                log.warning("The dashboard exited (code %s); it starts again when used.", code)
            if self.idle > 0 and self._loop is not None:
                self._loop.add_reader(self.listener.fileno(), self._spawn)
            else:
                self._spawn()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.listener.close()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` that a child process can inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host or ("::" if family == socket.AF_INET6 else "0.0.0.0"), port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def _configure_logging() -> None:
    """Hearthguard's own messages at info level; mitmproxy's per-connection messages only
    when they are errors, because they name every host a child visits (hotline hosts
    included) and the system journal must never become a browsing history."""
    logging.getLogger().setLevel(logging.DEBUG)  # the terminal handler filters by verbosity
    for noisy in ("asyncio", "hpack", "quic", "tornado"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("mitmproxy.proxy.server").setLevel(logging.ERROR)
    # mitmproxy prints each WireGuard client's configuration, private key included; devices
    # get theirs from the dashboard, never from the system journal.
    logging.getLogger("mitmproxy.proxy.mode_servers").addFilter(
        lambda record: "PrivateKey" not in record.getMessage()
    )


def _apply_settings(opts: optmanager.OptManager, settings: tuple[str, ...]) -> None:
    """Apply ``--set NAME=VALUE`` settings; a bad one raises ``OptionsError`` with a message.

    mitmproxy cannot read a number with a fraction from text (``hearthguard_flush=0.5``
    raises ``NotImplementedError``), so those are read here.
    """
    for setting in settings:
        name, _, value = setting.partition("=")
        if name in opts and isinstance(opts.default(name), float):
            try:
                number = float(value)
            except ValueError:
                raise exceptions.OptionsError(
                    f"{name} takes a number (of seconds), not “{value}”."
                ) from None
            opts.update(**{name: number})
        else:
            opts.set(setting)


async def _serve(config: RunConfig, dashboard: Dashboard | None, dashboard_url: str) -> int:
    opts = options.Options(
        listen_host=config.listen_host,
        listen_port=config.proxy_port,
        mode=list(config.modes),
        confdir=str(config.data.ca_dir),
    )
    master = lean_master(opts)
    _configure_logging()
    master.addons.add(make_filter())
    resolve_after_filter(master.addons)  # DNS queries are decided before any lookup
    try:
        master.options.update(
            connection_strategy="lazy",
            stream_large_bodies="1m",
            http3=False,
            hearthguard_dashboard=dashboard_url,
        )
        if config.settings:  # before the policy loads, so e.g. hearthguard_models applies
            _apply_settings(master.options, config.settings)
        master.options.update(hearthguard_data_dir=str(config.data.root))
    except exceptions.OptionsError as exc:
        print(f"hearthguard: {exc}", file=sys.stderr)
        return 2
    loop = asyncio.get_running_loop()
    # Database writes and reloads are short and few: two threads are plenty, and each
    # extra thread would keep a memory arena of its own.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2, thread_name_prefix="hearthguard"))
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    tasks = [asyncio.create_task(keep_lists_fresh(config.data))]
    if dashboard is not None:
        dashboard.start()
        tasks.append(asyncio.create_task(dashboard.watch()))
    try:
        await master.run()
    finally:
        for task in tasks:
            task.cancel()
    return 0


def _port_in_use(listen_host: str, port: int) -> bool:
    """True when something already listens on ``port`` (the proxy or the dashboard's)."""
    try:
        _listen(listen_host, port).close()
    except OSError:
        return True
    return False


def run_hearthguard(config: RunConfig) -> int:
    """Run until interrupted; returns the process exit code (2 when a port is taken)."""
    for what, port in (("proxy", config.proxy_port), ("dashboard", config.dashboard_port)):
        if port and _port_in_use(config.listen_host, port):
            print(
                f"hearthguard: port {port} ({what}) is already in use on "
                f"{config.listen_host or 'this machine'}; is Hearthguard already running? "
                f"Choose another with --{what}-port.",
                file=sys.stderr,
            )
            return 2
    host = _public_host(config.listen_host)
    scheme_host = f"[{host}]" if ":" in host else host
    dashboard_url = (
        f"https://{scheme_host}:{config.dashboard_port}" if config.dashboard_port else ""
    )
    dashboard = None
    if config.dashboard_port:
        tls = dashboard_certificate(config.data, [host, config.listen_host])
        dashboard = Dashboard(config, tls)
    store = PolicyStore(config.data.policy_db)
    try:
        token = new_setup_token(store)
    finally:
        store.close()
    print(f"Hearthguard proxy on {scheme_host}:{config.proxy_port}", flush=True)
    if dashboard_url:
        print(f"Parent dashboard: {dashboard_url}/", flush=True)
        if token:
            print(
                f"First-time setup (open once to choose the parent password): "
                f"{dashboard_url}/setup?token={token}",
                flush=True,
            )
    started = time.monotonic()
    try:
        return asyncio.run(_serve(config, dashboard, dashboard_url))
    finally:
        if dashboard is not None:
            dashboard.stop()
        # mitmproxy's log handler needs its event loop, which is closed by now
        for handler in list(logging.getLogger().handlers):
            if type(handler).__module__.startswith("mitmproxy"):
                logging.getLogger().removeHandler(handler)
        log.debug("ran for %.0f s", time.monotonic() - started)
