"""Who the audit trail names, a manager's approvals and refused PINs, and checking the chain.

The window acts as the cashier, and for a short while after the manager PIN as the manager; the
command line as the operator, and the scheduled run as the schedule, each with the operating
system account's name. May import domain and storage.
"""

from __future__ import annotations

import getpass

from edge_app.services.base import AppBase
from storage.audit import Actor, ChainCheck

# After the manager PIN, the window's changes are the manager's for this long (the manager is at
# the PC; a dialog the action opens, such as the refund amount, is answered within it).
MANAGER_SESSION_SECONDS = 120.0
ROLES = ("cashier", "manager", "operator", "schedule", "system")


def os_account() -> str | None:
    """The name of the operating system account running this program, if it can be told."""
    try:
        return getpass.getuser() or None
    except (OSError, KeyError, ImportError):
        return None


class Auditing(AppBase):
    def act_as(self, role: str) -> None:
        """Name `role` (and this computer account) in the audit entries from now on."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        self.store.act_as(Actor(role, os_account()))

    def manager_approved(self, action: str) -> None:
        """The manager PIN was given for `action`: logged, and the next changes are the
        manager's (for `MANAGER_SESSION_SECONDS`)."""
        manager = Actor("manager", os_account())
        self.store.elevate(manager, MANAGER_SESSION_SECONDS)
        self.store.record_event("manager_approved", action)

    def manager_refused(self, action: str) -> None:
        """A wrong manager PIN was typed for `action` (PCI DSS 10.2.1.4: failed access)."""
        self.store.record_event("manager_pin_refused", action)

    def verify_audit(self) -> ChainCheck:
        """Recompute the audit trail's MAC chain; names the first entry that does not match."""
        return self.store.verify_audit()
