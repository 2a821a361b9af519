"""Accounts of the control app: users with roles, API tokens, the audit log.

Roles nest: a viewer watches the map and video; a commander also creates
incidents and dispatches; an operator also flies (plans, uploads, arms,
controls); an admin also manages users, the network and settings.
"""

from dronepatrol.accounts.passwords import hash_password, verify_password
from dronepatrol.accounts.roles import Role
from dronepatrol.accounts.service import (
    AccountError,
    AccountService,
    AuditRecord,
    IssuedToken,
    SignInBusy,
    UserInfo,
)

__all__ = [
    "AccountError",
    "AccountService",
    "AuditRecord",
    "IssuedToken",
    "Role",
    "SignInBusy",
    "UserInfo",
    "hash_password",
    "verify_password",
]
