"""activity.db by job: its schema and migrations, the record types, the proxy's in-memory
queue, report queries and the access-request and alert inbox. ``policy.activity.ActivityStore``
is the one object callers use; only these modules and it write SQL for activity.db."""
