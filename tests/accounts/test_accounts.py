"""Accounts over the real database: SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from support import TEST_PASSWORD_COST

from dronepatrol.accounts import AccountError, AccountService, Role, hash_password, verify_password
from dronepatrol.cli import main
from dronepatrol.database import upgrade

COST = int(TEST_PASSWORD_COST)
"""scrypt cost (log2 N) here: these tests are about accounts, not hashing cost (the
default cost is tested in tests/web/test_hardening.py)."""


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, tmp_path) -> Engine:
    if request.param == "sqlite":
        engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
        yield engine
        engine.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    engine = upgrade(url)
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM api_tokens"))
        connection.execute(text("DELETE FROM users"))
        connection.execute(text("DELETE FROM audit_log"))
    engine.dispose()


def test_password_hashes_are_salted_and_verify() -> None:
    first, second = hash_password("s3cret-pass", COST), hash_password("s3cret-pass", COST)
    assert first != second and first.startswith("scrypt$")
    assert verify_password("s3cret-pass", first)
    assert not verify_password("s3cret-pasS", first)
    assert not verify_password("x", "not-a-hash")


def test_users_roles_and_sign_in(engine: Engine) -> None:
    accounts = AccountService(engine, password_log2_n=COST)
    accounts.add_user("op1", Role.OPERATOR, "long-enough")
    assert accounts.authenticate("op1", "long-enough").role is Role.OPERATOR
    assert accounts.authenticate("op1", "wrong-pass") is None
    assert accounts.authenticate("ghost", "long-enough") is None
    with pytest.raises(AccountError, match="already exists"):
        accounts.add_user("op1", Role.VIEWER, "long-enough")
    with pytest.raises(AccountError, match="at least 8"):
        accounts.add_user("op2", Role.VIEWER, "short")
    with pytest.raises(AccountError, match="unknown role"):
        accounts.add_user("op3", "pilot", "long-enough")
    with pytest.raises(AccountError, match="not allowed"):
        accounts.add_user("bad name", Role.VIEWER, "long-enough")


def test_admin_seeded_once(engine: Engine) -> None:
    accounts = AccountService(engine, password_log2_n=COST)
    assert accounts.ensure_admin("first-admin-pass")
    assert not accounts.ensure_admin("other-admin-pass")
    assert accounts.authenticate("admin", "first-admin-pass") is not None


def test_tokens_expire_and_revoke(engine: Engine) -> None:
    now = [1000.0]
    accounts = AccountService(engine, clock=lambda: now[0], password_log2_n=COST)
    user = accounts.add_user("script", Role.COMMANDER, "long-enough")
    issued = accounts.issue_token(user, ttl_s=60)
    assert accounts.user_for_token(issued.token).name == "script"
    now[0] += 61
    assert accounts.user_for_token(issued.token) is None
    second = accounts.issue_token(user, ttl_s=60)
    assert accounts.revoke_token(second.token)
    assert not accounts.revoke_token(second.token)
    assert accounts.user_for_token(second.token) is None
    assert accounts.user_for_token("never-issued") is None


def test_audit_log_keeps_detail(engine: Engine) -> None:
    accounts = AccountService(engine)
    accounts.audit("op1", "command", True, "127.0.0.1", vehicle="1", command="RTL")
    (entry,) = accounts.recent_audit(1)
    assert entry.detail == {"vehicle": "1", "command": "RTL"} and entry.ok


def test_users_cli(tmp_path) -> None:
    env = {"DRONEPATROL_DATA_DIR": str(tmp_path)}
    runner = CliRunner(env=env)
    added = runner.invoke(
        main, ["users", "add", "alice", "--role", "operator"], input="alice-pass\nalice-pass\n"
    )
    assert added.exit_code == 0, added.output
    assert "added alice (operator)" in added.output
    dup = runner.invoke(
        main, ["users", "add", "alice", "--role", "viewer"], input="alice-pass\nalice-pass\n"
    )
    assert dup.exit_code == 2 and "already exists" in dup.output
    listed = runner.invoke(main, ["users", "list"])
    assert "alice" in listed.output and "operator" in listed.output
    assert runner.invoke(main, ["users", "disable", "alice"]).exit_code == 0
    assert "(disabled)" in runner.invoke(main, ["users", "list"]).output
    bad_role = runner.invoke(main, ["users", "add", "bob", "--role", "pilot"], input="x\nx\n")
    assert bad_role.exit_code == 2
