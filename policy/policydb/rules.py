"""The rules table: a profile's allow and deny rules by site, lasting or until a time."""

from __future__ import annotations

from datetime import datetime

from policy.policydb.core import StoreCore, iso, now
from policy.validate import clean_domain
from policy.values import Action, Rule

__all__ = ["RulesMixin"]


class RulesMixin(StoreCore):
    """Allowing and denying sites per profile."""

    def add_rule(
        self,
        profile: str,
        action: Action,
        domain: str,
        *,
        expires_at: datetime | None = None,
        note: str = "",
        actor: str = "system",
    ) -> Rule:
        """Allow or deny ``domain`` (and its sub-domains).

        A lasting rule replaces every earlier rule for the domain. A rule with an end
        (an approved access request) sits beside a lasting one, so when it ends the
        parent's earlier choice applies again.
        """
        profile_id = self._profile_id(profile)
        domain = clean_domain(domain)
        with self.transaction() as conn:
            if expires_at is None:
                conn.execute(
                    "DELETE FROM rules WHERE profile_id = ? AND domain = ? AND action != ?",
                    [profile_id, domain, action.value],
                )
            conn.execute(
                "INSERT INTO rules (profile_id, action, domain, expires_at, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (profile_id, domain, action) DO UPDATE SET "
                "expires_at = excluded.expires_at, "
                "note = excluded.note, created_at = excluded.created_at",
                [profile_id, action.value, domain, iso(expires_at), note[:200], iso(now())],
            )
            until = f" until {iso(expires_at)}" if expires_at else ""
            self._audit(conn, actor, f"rule.{action.value}", f"{profile}: {domain}{until}")
        return Rule(action, domain, expires_at)

    def remove_rule(self, profile: str, domain: str, *, actor: str = "system") -> bool:
        profile_id = self._profile_id(profile)
        domain = clean_domain(domain)
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM rules WHERE profile_id = ? AND domain = ?", [profile_id, domain]
            )
            if cursor.rowcount:
                self._audit(conn, actor, "rule.remove", f"{profile}: {domain}")
        return cursor.rowcount > 0
