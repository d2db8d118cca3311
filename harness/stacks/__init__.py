"""Stacks: where the servers of a run come from (own local processes, or Docker Compose)."""
from __future__ import annotations

import functools
from typing import Callable

from harness.errors import HarnessError

KINDS = ("local", "compose")


def open_stack(kind: str) -> Callable:
    """A factory taking the scenario's services and returning a stack context manager."""
    if kind == "local":
        from harness.stacks.local import LocalStack

        return LocalStack
    if kind == "compose":
        from harness.stacks.compose import ComposeStack, docker_client

        return functools.partial(ComposeStack, client=docker_client())
    raise HarnessError(f"unknown stack '{kind}' (known: {', '.join(KINDS)})")
