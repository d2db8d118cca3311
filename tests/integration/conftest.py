import json

import pytest

from harness.runner import plan, run_scenario
from harness.scenario import get_scenario
from harness.stacks.local import LocalStack


@pytest.fixture(scope="session")
def stack():
    """One real local stack (Postgres, Redis, RabbitMQ) shared by the integration tests."""
    with LocalStack() as running:
        yield running


@pytest.fixture(scope="session")
def run_cells(tmp_path_factory):
    """run_cells(scenario, cell names, tasks): the cells' result records by name, from a fresh local stack."""
    return lambda scenario_name, cells, tasks: run_cells_on(LocalStack, tmp_path_factory, scenario_name, cells, tasks)


def run_cells_on(open_stack, tmp_path_factory, scenario_name: str, cells: list[str], tasks: int) -> dict[str, dict]:
    """The cells' result records by name, measured on a fresh stack of `open_stack`'s kind."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPRO_RESULTS_DIR", str(tmp_path_factory.mktemp("results")))
        scenario = get_scenario(scenario_name)
        directory = run_scenario(scenario, plan(scenario, names=cells), open_stack, print, count=tasks)
    records = [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]
    return {record["cell"]["name"]: record for record in records}
