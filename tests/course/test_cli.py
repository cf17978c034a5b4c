"""`flask lessons import|export|check` as an operator runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from service import create_app

ROOT = Path(__file__).resolve().parents[2]
LESSONS = str(ROOT / "lessons")


def app_without_database(tmp_path: Path) -> Flask:
    """An app whose database cannot be reached: `lessons check` must not need one."""
    return create_app({
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "SECRET_KEY": "k",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "CLINIC_BOOKING_URL": "https://calmhands.example/book",
    })


def test_check_passes_on_the_real_course_without_a_database(tmp_path: Path) -> None:
    result = app_without_database(tmp_path).test_cli_runner().invoke(
        args=["lessons", "check", LESSONS]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["slug", "grade", "smog", "minutes", "problems"]
    assert any(line.startswith("what-is-sciatica") and line.endswith("ok") for line in lines)
    assert "every email (footer, glossary): ok" in lines
    assert "all 11 lessons pass" in result.output


def test_check_fails_and_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    good = (ROOT / "lessons" / "03-how-massage-helps.md").read_text()
    bad = good.replace("## ", "Massage cures it.\n\n## ", 1)
    (folder / "03-how-massage-helps.md").write_text(bad)
    result = app_without_database(tmp_path).test_cli_runner().invoke(
        args=["lessons", "check", str(folder)]
    )
    assert result.exit_code == 1
    assert "how-massage-helps" in result.output and "'cures'" in result.output
    # No glossary in that folder: the shared check says so, as a problem of its own.
    assert "    - glossary.yml is missing" in result.output
    assert "1 of 1 lessons failed the check; the shared parts failed too" in result.output


def test_check_of_a_missing_folder_fails(tmp_path: Path) -> None:
    runner = app_without_database(tmp_path).test_cli_runner()
    result = runner.invoke(args=["lessons", "check", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "no such folder" in result.output


def test_import_reports_changes_then_nothing(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["lessons", "import", LESSONS])
    assert first.exit_code == 0, first.output
    assert "created: what-is-sciatica" in first.output
    assert "11 lessons: 11 created, 0 updated, 0 unchanged" in first.output
    second = runner.invoke(args=["lessons", "import", LESSONS])
    assert second.output.strip() == "11 lessons: 0 created, 0 updated, 11 unchanged"


def test_import_of_an_empty_folder_says_so(runner: FlaskCliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(args=["lessons", "import", str(empty)])
    assert result.exit_code == 0
    assert result.output.strip() == f"no lessons found in {empty}"


def test_import_of_a_bad_file_names_it_and_imports_nothing(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", folder)
    (folder / "12-broken.md").write_text("---\norder: 12\n---\nNo slug.\n")
    result = runner.invoke(args=["lessons", "import", str(folder)])
    assert result.exit_code == 1
    assert "12-broken.md: front matter needs 'slug'" in result.output
    export = runner.invoke(args=["lessons", "export", str(tmp_path / "out")])
    assert "0 lessons exported" in export.output


def test_export_writes_files_that_import_unchanged(runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["lessons", "import", LESSONS])
    out = tmp_path / "out"
    result = runner.invoke(args=["lessons", "export", str(out)])
    assert result.exit_code == 0 and "11 lessons exported" in result.output
    again = runner.invoke(args=["lessons", "import", str(out)])
    assert "0 created, 0 updated, 11 unchanged" in again.output
