"""A RabbitMQ node with its own epmd, every socket bound to loopback, and one vhost per cell."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

from harness import binaries
from harness.errors import HarnessError, last_line
from harness.stacks.health import amqp_ready, port_open
from harness.stacks.process import ManagedProcess, free_port
from harness.stacks.servers import Server

# The applications a broker without plugins boots; linking only these into a private plugins
# dir halves the boot time (the node scans every directory of its code path).
CORE_APPS = ("amqp10_common", "aten", "credentials_obfuscation", "cuttlefish", "enough", "gen_batch_server",
             "jsx", "observer_cli", "osiris", "ra", "rabbit", "rabbit_common", "rabbitmq_prelaunch", "ranch",
             "recon", "seshat", "stdout_formatter", "syslog", "sysmon_handler", "systemd")
CELL_VHOSTS = 32  # created at boot from a definitions file: no rabbitmqctl round trip per cell
USER = "repro"  # the one user; no guest (RabbitMQ skips its default user when definitions load)


class RabbitMQServer(Server):
    """rabbitmq-server run from /usr/lib/rabbitmq/bin, exec'ing into beam so our pid is the node itself."""

    name = "rabbitmq"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.dist_port, self.epmd_port = free_port(), free_port()
        self.node = f"repro{self.port}@localhost"
        self.epmd: ManagedProcess | None = None

    def amqp_url(self, vhost: str) -> str:
        return f"amqp://{USER}:{quote(self.password, safe='')}@127.0.0.1:{self.port}/{vhost}"

    def cell_vhost(self, index: int) -> str:
        return f"cell{index % CELL_VHOSTS}"

    def start(self) -> None:
        """Our own epmd first (bound to loopback), then the node that registers with it."""
        if self.epmd is None:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.epmd = ManagedProcess("epmd", [str(binaries.find("epmd")), "-port", str(self.epmd_port),
                                                "-address", "127.0.0.1"], self.epmd_port,
                                       lambda: port_open(self.epmd_port), self.dir / "epmd.log", cwd=str(self.dir))
        if not self.epmd.pid:
            self.epmd.start()
        super().start()

    def stop(self) -> None:
        super().stop()
        if self.epmd is not None:  # epmd outlives the node: stop it by its own pid
            self.epmd.close()

    def command(self) -> list[str]:
        return [str(binaries.find("rabbitmq-server"))]

    def drop_clients(self) -> None:
        self.rabbitmqctl("close_all_connections", "fault injected")

    def rabbitmqctl(self, *args: str) -> str:
        """rabbitmqctl against our node (its own cookie, epmd and node name); its output, or a one-line error."""
        command = [str(binaries.find("rabbitmqctl")), "-n", self.node, *args]
        done = subprocess.run(command, env={**os.environ, **self.env()}, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise HarnessError(f"rabbitmqctl {args[0]} failed: {last_line(done.stderr or done.stdout)}")
        return done.stdout

    def ready(self) -> bool:
        return amqp_ready(self.port)

    def version(self) -> str:
        match = re.match(r"rabbit-(\S+)", next(iter(sorted(p.name for p in _stock_plugins().glob("rabbit-*"))), ""))
        return match.group(1) if match else "unknown"

    def env(self) -> dict[str, str]:
        return {
            "HOME": str(self.dir), "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port), "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"), "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_PLUGINS_DIR": str(self.dir / "plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),  # empty: ignore /etc/rabbitmq's
            "ERL_CRASH_DUMP": str(self.dir / "erl_crash.dump"),  # not in whatever directory we were started from
            "RABBITMQ_ALLOW_INPUT": "1",  # makes the script exec into beam: our pid is the node
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1} -noinput",
        }

    def prepare(self) -> None:
        for sub in ("mnesia", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "enabled_plugins").write_text("[].\n")
        _link_core_apps(self.dir / "plugins")
        (self.dir / "rabbitmq-env.conf").write_text("")
        (self.dir / "definitions.json").touch(mode=0o600)
        (self.dir / "definitions.json").write_text(json.dumps(definitions(self.password)))
        (self.dir / "rabbitmq.conf").write_text(f"load_definitions = {self.dir / 'definitions.json'}\n")


def _stock_plugins() -> Path:
    """The plugins dir of the installed server (/usr/lib/rabbitmq/lib/rabbitmq_server-X/plugins)."""
    return binaries.find("rabbitmq-server").resolve().parent.parent / "plugins"


def _link_core_apps(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for app in _stock_plugins().iterdir():
        if app.name.rsplit("-", 1)[0] in CORE_APPS:
            (target / app.name).symlink_to(app)


def definitions(password: str) -> dict:
    """The harness's user, with this run's password, and one vhost per cell."""
    vhosts = ["/", *(f"cell{index}" for index in range(CELL_VHOSTS))]
    return {
        "users": [{"name": USER, "password_hash": password_hash(password),
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}],
        "vhosts": [{"name": vhost} for vhost in vhosts],
        "permissions": [{"user": USER, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
                        for vhost in vhosts],
    }


def password_hash(password: str) -> str:
    """RabbitMQ's salted SHA-256 password hash: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()
