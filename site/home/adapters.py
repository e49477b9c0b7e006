"""allauth customisation: participants only have an e-mail address, never a password."""

import secrets

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Gives each participant an opaque username; nobody has to think of one."""

    def populate_username(self, request, user) -> None:
        """Use a random username so the e-mail address is not repeated in it."""
        if not user.username:
            user.username = f"deelnemer-{secrets.token_hex(6)}"
