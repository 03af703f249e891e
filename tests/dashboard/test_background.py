"""Jobs the dashboard starts (a real ``hearthguard`` child process) and whether any still runs:
the dashboard must not rest while one does."""

from __future__ import annotations

import time

from dashboard import create_app
from dashboard.background import job_running, jobs_running, start_job


def test_a_started_job_counts_as_running_until_it_ends(data_dir) -> None:
    app = create_app({"DATA_DIR": str(data_dir.root), "TESTING": True})
    with app.app_context():
        assert not jobs_running(app)
        assert start_job("status", "lists", "status")
        assert not start_job("status", "lists", "status")  # one of a kind at a time
        assert jobs_running(app) and job_running("status")
        deadline = time.monotonic() + 60
        while jobs_running(app):
            assert time.monotonic() < deadline, "the job never ended"
            time.sleep(0.1)
        assert not job_running("status")
    assert "category" in (data_dir.root / "status.log").read_text()  # its output, kept
