"""The command line: JSON output, exit code 2 and nothing written on bad input."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from hearthguard.cli import main
from policy.store import PolicyStore


def cli(data_dir, *args: str, input: str | None = None):
    return CliRunner().invoke(main, [*args, "--data-dir", str(data_dir.root)], input=input)


def version(data_dir) -> int:
    store = PolicyStore(data_dir.policy_db)
    try:
        return store.version()
    finally:
        store.close()


def test_init_is_idempotent_and_keeps_the_ca(tmp_path) -> None:
    root = tmp_path / "fresh"
    first = CliRunner().invoke(main, ["init", "--data-dir", str(root)])
    assert first.exit_code == 0 and "created" in first.output
    ca = (root / "ca" / "mitmproxy-ca.pem").read_bytes()
    again = CliRunner().invoke(main, ["init", "--data-dir", str(root)])
    assert again.exit_code == 0 and "created" not in again.output
    assert (root / "ca" / "mitmproxy-ca.pem").read_bytes() == ca
    assert oct((root / "ca").stat().st_mode & 0o777) == "0o700"
    assert oct((root / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_profile_device_rule_and_check(data_dir) -> None:
    assert cli(data_dir, "profile", "add", "Mia", "--preset", "teen").exit_code == 0
    assert (
        cli(
            data_dir, "device", "add", "Tablet", "--ip", "192.168.1.20", "--profile", "Mia"
        ).exit_code
        == 0
    )
    assert cli(data_dir, "rule", "deny", "games.example", "--profile", "Mia").exit_code == 0
    listed = cli(data_dir, "profile", "list", "--json")
    mia = [json.loads(line) for line in listed.output.splitlines() if '"Mia"' in line][0]
    assert mia["rules"] == [{"action": "block", "domain": "games.example"}]
    assert "Tablet\t192.168.1.20\tMia" in cli(data_dir, "device", "list").output

    out = cli(
        data_dir, "check", "--profile", "Mia", "https://www.games.example/play", "example.org"
    )
    assert out.exit_code == 0
    first, second = (json.loads(line) for line in out.output.splitlines())
    assert first == {
        "url": "https://www.games.example/play",
        "action": "block",
        "reason": "parent_denied",
        "category": None,
        "source": "deny rule: games.example",
        "score": None,
    }
    assert (second["action"], second["reason"]) == ("allow", "not_blocked")


def test_check_reads_stdin_and_reports_bad_urls(data_dir) -> None:
    out = cli(data_dir, "check", input="example.org\n\n# a comment\nftp://files.example\n")
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert [line["url"] for line in lines] == ["example.org", "ftp://files.example"]
    assert "error" in lines[1]
    assert out.exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("device", "add", "Tab", "--ip", "192.168.1.300", "--profile", "Household"),
            "not an IP address",
        ),
        (
            ("device", "add", "Tab", "--ip", "192.168.1.3", "--profile", "Nobody"),
            "no profile called",
        ),
        (
            (
                "device",
                "add",
                "Tab",
                "--ip",
                "192.168.1.3",
                "--profile",
                "Household",
                "--mac",
                "nope",
            ),
            "not a MAC address",
        ),
        (("rule", "deny", "not a domain!", "--profile", "Household"), "not a valid domain"),
        (("rule", "deny", "co.uk", "--profile", "Household"), "co.uk"),
        (("rule", "allow", "example.com", "--profile", "Nobody"), "no profile called"),
        (("profile", "add", "Household", "--preset", "teen"), "already exists"),
        (("check", "--profile", "Nobody", "example.com"), "no profile called"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(data_dir, args, message) -> None:
    before = version(data_dir)
    result = cli(data_dir, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert version(data_dir) == before


def test_corrupt_policy_db_stops_every_command_and_is_kept(data_dir) -> None:
    data_dir.policy_db.write_bytes(b"\x00garbage" * 64)
    for args in (("profile", "list"), ("init",), ("check", "example.com")):
        result = cli(data_dir, *args)
        assert result.exit_code == 2, args
        assert "not a readable Hearthguard policy database" in result.output
    assert data_dir.policy_db.read_bytes() == b"\x00garbage" * 64


def test_newer_schema_stops_run_with_advice(data_dir) -> None:
    conn = sqlite3.connect(data_dir.policy_db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('hearthguard.policy', 'm900_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    result = cli(data_dir, "run", "--proxy-port", "0", "--dashboard-port", "0")
    assert result.exit_code == 2 and "newer version of Hearthguard" in result.output


def test_lists_import_status_and_bad_files(data_dir, tmp_path) -> None:
    good = tmp_path / "extra.hosts"
    good.write_text("0.0.0.0 casino.example\n0.0.0.0 not..valid\n")
    result = cli(
        data_dir, "lists", "import", str(good), "--category", "gambling", "--name", "family/extra"
    )
    assert result.exit_code == 0, result.output
    assert "family/extra\tgambling\t1 entries\t1 rejected" in result.output
    assert "extra.hosts:2: malformed domain" in result.output
    status = cli(data_dir, "lists", "status", "--json")
    rows = {json.loads(line)["name"]: json.loads(line) for line in status.output.splitlines()}
    assert rows["family/extra"]["entries"] == 1 and rows["family/extra"]["rejected"] == 1
    assert rows["sinfonietta/pornography-hosts"]["source"] == "bundled default"
    out = cli(data_dir, "check", "casino.example")
    assert json.loads(out.output)["source"] == "family/extra"

    html = tmp_path / "error.html"
    html.write_text("<html><head><title>404</title></head><body>Not found</body></html>")
    result = cli(data_dir, "lists", "import", str(html))
    assert result.exit_code == 2 and "HTML" in result.output
    assert cli(data_dir, "lists", "status", "--json").output == status.output


def test_lists_update_without_url_sources(data_dir) -> None:
    result = cli(data_dir, "lists", "update")
    assert result.exit_code == 0 and "No list has a URL" in result.output


def test_classify_reads_lines_and_writes_json(data_dir) -> None:
    out = cli(data_dir, "classify", "url", input="freecasinobonus.example\nbbc.co.uk\n")
    first, second = (json.loads(line) for line in out.output.splitlines())
    assert out.exit_code == 0
    assert first["category"] == "gambling" and first["score"] > 0.9
    assert second["category"] == "benign"
    page = "<html><body><p>free porn xxx hardcore porn sex videos</p></body></html>\n"
    out = cli(data_dir, "classify", "page", input=page + "Our school garden grows beans.\n")
    adult, garden = (json.loads(line) for line in out.output.splitlines())
    assert adult["category"] == "adult" and garden["category"] == "benign"
    out = cli(data_dir, "classify", "chat", input="see you at practice tomorrow!\n")
    assert json.loads(out.output)["label"] == "ok"


def test_classify_without_a_model_says_why(data_dir, monkeypatch) -> None:
    import classifier.models.loading

    monkeypatch.setattr(classifier.models.loading, "BUNDLED_MODEL_DIR", data_dir.root / "nowhere")
    out = cli(data_dir, "classify", "url", input="example.com\n")
    assert out.exit_code == 2 and "url classifier is unavailable" in out.output


def test_retrain_without_examples_keeps_the_shipped_model(data_dir) -> None:
    out = cli(data_dir, "classifier", "retrain")
    assert out.exit_code == 0 and "No household examples yet" in out.output
    assert not data_dir.models_dir.exists()


def test_classifier_phrases_import_show_and_remove(data_dir, tmp_path) -> None:
    import shutil
    from pathlib import Path

    e2g = Path(__file__).resolve().parents[3] / "shared" / "data" / "lists" / "e2guardian"
    shutil.copytree(e2g, tmp_path / "lists")
    assert "No phrase list" in cli(data_dir, "classifier", "phrases").output
    out = cli(data_dir, "classifier", "phrases", str(tmp_path / "lists" / "weightedphraselist"))
    assert out.exit_code == 0 and "Imported" in out.output and "In use:" in out.output
    assert "include not found" not in out.output
    out = cli(data_dir, "classifier", "phrases", str(tmp_path / "nothing"))
    assert out.exit_code == 2
    assert "Phrase list removed." in cli(data_dir, "classifier", "phrases", "--remove").output


def test_helplines_stay_reachable_for_the_youngest(data_dir) -> None:
    assert cli(data_dir, "profile", "add", "Zoe", "--preset", "young").exit_code == 0
    out = cli(
        data_dir,
        "check",
        "--profile",
        "Zoe",
        "https://www.begambleaware.org/",
        "https://www.thetrevorproject.org/",
        "https://www.amnesty.org/en/",
    )
    for line in out.output.splitlines():
        decision = json.loads(line)
        assert (decision["action"], decision["reason"]) == ("allow", "protected_category"), line


def test_init_imports_default_lists_a_newer_version_adds(data_dir) -> None:
    from policy.lists import ListLibrary

    store = PolicyStore(data_dir.policy_db)
    library = ListLibrary(data_dir, store)
    helpline = next(s for s in library.sources() if s.source.endswith("helpline.txt"))
    for record in store.lists():
        if record.source == helpline.source:
            store.delete_list(record.name)
    store.close()
    import shutil

    shutil.rmtree(helpline.folder)
    assert cli(data_dir, "init").exit_code == 0
    store = PolicyStore(data_dir.policy_db)
    assert "hearthguard/helpline" in {r.name for r in store.lists()}
    store.close()
    again = cli(data_dir, "init")
    assert again.exit_code == 0 and "created" not in again.output


def test_check_reports_a_malformed_address_without_a_traceback(data_dir) -> None:
    out = cli(data_dir, "check", "http://[::1", "x" * 3000)
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert out.exit_code == 2 and len(lines) == 2
    assert all("error" in line for line in lines)


@pytest.mark.parametrize("field", ["name", "preset"])
def test_a_bad_profile_exits_2_with_the_message_every_entry_point_gives(data_dir, field):
    from tests.policy.test_profile_fields import BAD, refusal

    args = {"name": "Zed", "preset": "teen", field: BAD[field]}
    before = version(data_dir)
    result = cli(data_dir, "profile", "add", args["name"], "--preset", args["preset"])
    assert result.exit_code == 2 and refusal(field) in result.output
    assert version(data_dir) == before


@pytest.mark.parametrize("name", ["retention_days", "country", "timezone", "lan_ranges"])
def test_a_bad_setting_exits_2_with_the_message_its_check_gives(data_dir, name):
    from tests.policy.test_settings import BAD, refusal

    before = version(data_dir)
    result = cli(data_dir, "setting", "set", name, BAD[name])
    assert result.exit_code == 2 and refusal(name, BAD[name]) in result.output
    assert version(data_dir) == before
