"""RabbitMQ's own limits a cell can set for its duration (consumer_timeout), read back and restored after."""
from __future__ import annotations

import re
from contextlib import contextmanager

from harness.errors import HarnessError

# Channels read both when they open: a cell's worker must connect after they are set. The tick is how often a
# channel checks its deliveries against consumer_timeout (60 s by default, too coarse for a timeout of seconds).
TICK_WHILE_SET_MS = 1000


@contextmanager
def consumer_timeout(stack, seconds: int | None):
    """consumer_timeout = `seconds` (and a 1 s channel tick) on the stack's RabbitMQ for the block, restored after."""
    if seconds is None:
        yield
        return
    node = stack.node("rabbitmq")
    before = {key: app_env(node, key) for key in ("consumer_timeout", "channel_tick_interval")}
    set_app_env(node, {"consumer_timeout": seconds * 1000, "channel_tick_interval": TICK_WHILE_SET_MS})
    try:
        yield
    finally:
        set_app_env(node, before)


def app_env(node, key: str) -> str:
    """The `rabbit` application's value for `key` as Erlang prints it ('undefined' when unset)."""
    out = node.rabbitmqctl("eval", f"application:get_env(rabbit, {key}).").strip()
    match = re.fullmatch(r"\{ok,(.+)\}", out)
    return match.group(1) if match else "undefined"


def set_app_env(node, values: dict) -> None:
    """Set (or, for 'undefined', unset) keys of the `rabbit` application on the running node."""
    for key, value in values.items():
        if not re.fullmatch(r"[a-z_]+", key) or not re.fullmatch(r"\d+|undefined", str(value)):
            raise HarnessError(f"refusing to set rabbit {key} = {value!r}")
        call = f"application:unset_env(rabbit, {key})." if value == "undefined" else \
            f"application:set_env(rabbit, {key}, {value})."
        node.rabbitmqctl("eval", call)
