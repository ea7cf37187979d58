"""The accounts and roles a sign-in may use (IAM Identity Center's `ListAccounts` and
`ListAccountRoles`, every page), and choosing one of each for `configure`: the flag when it names
an assignment, else a menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sso_sync.aws.configure_answers import Prompter
from sso_sync.errors import AwsError, LoginRequired, UsageError

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    email: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.account_id}, {self.email})" if self.email else self.name


def _sso_call_failed(exc: Exception, what: str) -> Exception:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "UnauthorizedException":
            return LoginRequired(
                f"IAM Identity Center refused the sign-in while {what}: run `sso-sync configure` "
                "again to sign in afresh"
            )
        return AwsError(f"{what} failed ({code})")
    return AwsError(f"{what} failed ({type(exc).__name__})")


def list_accounts(sso: SSOClient, access_token: str) -> list[Account]:
    """Every account the signed-in user can reach, across all pages."""
    from botocore.exceptions import ClientError

    accounts: list[Account] = []
    try:
        for page in sso.get_paginator("list_accounts").paginate(accessToken=access_token):
            accounts.extend(
                Account(
                    account_id=a.get("accountId", ""),
                    name=a.get("accountName", ""),
                    email=a.get("emailAddress", ""),
                )
                for a in page.get("accountList", [])
            )
    except ClientError as exc:
        raise _sso_call_failed(exc, "listing accounts") from None
    return sorted(accounts, key=lambda a: (a.name.lower(), a.account_id))


def list_roles(sso: SSOClient, access_token: str, account_id: str) -> list[str]:
    """Every role the user has in `account_id`, across all pages."""
    from botocore.exceptions import ClientError

    roles: list[str] = []
    try:
        paginator = sso.get_paginator("list_account_roles")
        for page in paginator.paginate(accessToken=access_token, accountId=account_id):
            roles.extend(r["roleName"] for r in page.get("roleList", []) if r.get("roleName"))
    except ClientError as exc:
        raise _sso_call_failed(exc, f"listing roles in {account_id}") from None
    return sorted(roles, key=str.lower)


def choose_assignment(
    client: SSOClient,
    token: str,
    prompter: Prompter,
    *,
    account_id: str | None,
    role_name: str | None,
) -> tuple[Account, str]:
    """The account and role: the flags when given and assigned, else chosen from the lists."""
    accounts = list_accounts(client, token)
    if not accounts:
        raise AwsError(
            "this sign-in gives access to no AWS account: ask your administrator for an "
            "account assignment"
        )
    account = _pick_account(accounts, account_id, prompter)
    roles = list_roles(client, token, account.account_id)
    if not roles:
        raise AwsError(f"you have no role in account {account.account_id}: choose another")
    role = _pick_role(roles, role_name, account, prompter)
    return account, role


def _pick_account(accounts: list[Account], wanted: str | None, prompter: Prompter) -> Account:
    if wanted:
        for account in accounts:
            if account.account_id == wanted:
                return account
        available = ", ".join(a.account_id for a in accounts)
        raise UsageError(
            f"account {wanted} is not available to you (available: {available}) (--account-id)"
        )
    if len(accounts) == 1:
        prompter.say(f"The only AWS account available to you is: {accounts[0].label}")
        return accounts[0]
    prompter.say(f"There are {len(accounts)} AWS accounts available to you.")
    return accounts[prompter.choose("account (--account-id)", [a.label for a in accounts])]


def _pick_role(roles: list[str], wanted: str | None, account: Account, prompter: Prompter) -> str:
    if wanted:
        if wanted in roles:
            return wanted
        raise UsageError(
            f"role {wanted!r} is not assigned to you in account {account.account_id} "
            f"(available: {', '.join(roles)}) (--role-name)"
        )
    if len(roles) == 1:
        prompter.say(f"The only role available to you in {account.account_id} is: {roles[0]}")
        return roles[0]
    prompter.say(f"There are {len(roles)} roles available to you in {account.account_id}.")
    return roles[prompter.choose("role (--role-name)", roles)]
