from harness.stacks.process import free_port


def test_free_port_never_repeats_within_a_process():
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
