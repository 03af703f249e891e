"""The parts of ``policy.store.PolicyStore``, one module per job on policy.db.

``schema`` owns the tables (named migrations); ``core`` the connection's transaction and audit
trail; every other module is one mixin that owns the SQL for its tables (settings, profiles,
devices, rules, schedules, time rules, lists, parents and their sessions, configuration
replace). Callers use ``PolicyStore`` only; nothing here is imported from outside ``policy``.
"""
