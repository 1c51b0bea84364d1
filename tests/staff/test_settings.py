import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "x" * 20 + "a-long-random-production-secret-0123456789"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "SITE_URL", "ADMINS", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_deploy_check_is_clean_under_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=PRODUCTION_SECRET,
        ALLOWED_HOSTS="clinic.example",
        SITE_URL="https://clinic.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_missing_migrations():
    result = run_manage("makemigrations", "--check", "--dry-run", DEBUG="1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", SECRET_KEY="changeme")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_static_files_are_collected_compressed_under_hashed_names(tmp_path):
    result = run_manage(
        "collectstatic",
        "--no-input",
        SECRET_KEY=PRODUCTION_SECRET,
        SITE_URL="https://clinic.example",
        STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    hashed = json.loads(manifest)["paths"]["css/acuclinic.css"]
    assert hashed != "css/acuclinic.css"
    assert (tmp_path / f"{hashed}.gz").exists()


def test_the_app_serves_its_static_files(client):
    response = client.get("/static/css/acuclinic.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


def test_beat_starts_on_a_fresh_machine_and_keeps_its_schedule_in_a_folder_it_made(tmp_path):
    var_dir = tmp_path / "never-created"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # As in production: nothing else (SQLite, the filesystem broker) makes the var folder. Beat
    # needs neither the database nor, to start, a broker that answers.
    env.update(
        DEBUG="1",
        ACUCLINIC_VAR_DIR=str(var_dir),
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
    )
    beat = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "clinic", "beat", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list((var_dir / "celery-beat").glob("schedule*")) and beat.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert beat.poll() is None, beat.stderr.read()
        assert list((var_dir / "celery-beat").glob("schedule*"))
    finally:
        beat.terminate()
        beat.wait(timeout=30)


def production_setting(expression: str, **env: str) -> subprocess.CompletedProcess:
    """Prints ``expression`` evaluated on django.conf.settings under production settings."""
    return run_manage(
        "shell", "-c", f"from django.conf import settings; print({expression})",
        SECRET_KEY=PRODUCTION_SECRET, **env,
    )


def test_production_refuses_to_start_without_site_url():
    result = production_setting("settings.SITE_URL")
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_production_refuses_a_site_url_without_https():
    result = production_setting("settings.SITE_URL", SITE_URL="http://clinic.example")
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_production_uses_tls_to_the_mail_relay_by_default():
    result = production_setting("settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL", SITE_URL="https://clinic.example")
    assert result.stdout.strip().splitlines()[-1] == "True False", result.stderr
    # Implicit TLS (port 465) instead of STARTTLS: never both.
    result = production_setting(
        "settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL", SITE_URL="https://clinic.example", EMAIL_USE_SSL="1"
    )
    assert result.stdout.strip().splitlines()[-1] == "False True", result.stderr


def test_server_errors_are_mailed_to_the_admins_named_in_the_environment():
    result = production_setting(
        "settings.ADMINS", SITE_URL="https://clinic.example", ADMINS="Lin Wei <lin@clinic.example>, ops@clinic.example"
    )
    admins = "[('Lin Wei', 'lin@clinic.example'), ('', 'ops@clinic.example')]"
    assert result.stdout.strip().splitlines()[-1] == admins, result.stderr
