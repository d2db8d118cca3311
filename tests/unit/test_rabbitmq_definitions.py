import base64
import hashlib

from harness.stacks.rabbitmq import CELL_VHOSTS, definitions, password_hash


def test_password_hash_is_rabbitmq_salted_sha256():
    raw = base64.b64decode(password_hash("guest"))
    salt, digest = raw[:4], raw[4:]
    assert digest == hashlib.sha256(salt + b"guest").digest()


def test_definitions_give_one_user_every_cell_vhost_and_no_guest():
    defs = definitions("s3cret")
    assert [user["name"] for user in defs["users"]] == ["repro"] and "s3cret" not in str(defs)
    assert len(defs["vhosts"]) == CELL_VHOSTS + 1
    assert {p["vhost"] for p in defs["permissions"]} == {v["name"] for v in defs["vhosts"]}
