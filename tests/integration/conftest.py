import pytest

from harness.stacks.local import LocalStack


@pytest.fixture(scope="session")
def stack():
    """One real local stack (Postgres, Redis, RabbitMQ) shared by the integration tests."""
    with LocalStack() as running:
        yield running
