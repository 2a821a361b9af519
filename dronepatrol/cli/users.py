"""``dronepatrol users``: accounts of the control app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from dronepatrol.settings import Settings

if TYPE_CHECKING:
    from dronepatrol.accounts import AccountService

ROLES = ["viewer", "commander", "operator", "admin"]


@contextmanager
def _service(settings: Settings) -> Iterator[AccountService]:
    """The account service on the configured database, closed afterwards.

    An :class:`AccountError` inside becomes a usage error: exit 2 with its message.
    """
    from dronepatrol.accounts import AccountError, AccountService
    from dronepatrol.database import upgrade

    settings.ensure_dirs()
    engine = upgrade(settings)
    try:
        yield AccountService(engine, password_log2_n=settings.password_log2_n)
    except AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        engine.dispose()


@click.group()
def users() -> None:
    """Manage control-app accounts.

    Roles nest: viewer (watch map and video) < commander (also incidents and
    dispatch) < operator (also plan and fly) < admin (also users, network,
    settings).
    """


@users.command()
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the account may do.")
@click.password_option(help="The password (prompted for, twice, when not given).")
@click.pass_obj
def add(settings: Settings, name: str, role: str, password: str) -> None:
    """Add an account NAME with ROLE; prompts for the password."""
    with _service(settings) as accounts:
        user = accounts.add_user(name, role, password)
    click.echo(f"added {user.name} ({user.role.value})")


@users.command("list")
@click.pass_obj
def list_users(settings: Settings) -> None:
    """List accounts with their roles."""
    with _service(settings) as accounts:
        listed = accounts.list_users()
    for user in listed:
        state = " (disabled)" if user.disabled else ""
        click.echo(f"{user.name:<24} {user.role.value}{state}")


@users.command()
@click.argument("name")
@click.password_option(help="The new password (prompted for, twice, when not given).")
@click.pass_obj
def passwd(settings: Settings, name: str, password: str) -> None:
    """Set account NAME's password."""
    with _service(settings) as accounts:
        accounts.set_password(name, password)
    click.echo(f"password of {name} changed")


@users.command()
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@click.pass_obj
def disable(settings: Settings, name: str, enable: bool) -> None:
    """Disable account NAME (and revoke its API tokens), or --enable it again."""
    with _service(settings) as accounts:
        user = accounts.set_disabled(name, not enable)
    click.echo(f"{user.name} {'disabled' if user.disabled else 'enabled'}")
