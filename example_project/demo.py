"""``make demo``: the example site on the embedded B2 emulator, ready to click through.

Starts the emulator (data kept in ``example_project/data/`` between runs, fixed demo key so a
restart finds its files again), creates the private bucket and the restricted key browsers'
upload tokens come from (``writeFiles`` on ``gallery/_staging/`` only), sets the bucket's CORS
rules, migrates, creates the admin user, then serves the site with Django's development server.

Options (all optional)::

    --port N              site port (default 8000, or a free port if 8000 is taken)
    --emulator-port N     emulator port (default 8787, or a free port if taken)
    --data-dir DIR        where the database and the emulator's files live
    --external-emulator   use the B2 API named by DJANGO_B2_DEMO_API_URL/KEY_ID/KEY instead
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
DEMO_KEY_ID = "demo-key-id"
DEMO_KEY = "demo-application-key-not-secret"
ADMIN_USER = "admin"
ADMIN_PASSWORD = os.environ.get("DJANGO_B2_DEMO_ADMIN_PASSWORD", "b2-demo-admin")
DEMO_MIN_PART_SIZE = (
    5_000_000  # what real B2 enforces; the demo's direct uploads use this part size
)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_emulator(port: int, data_dir: Path) -> Any:
    from django_b2.emulator import EmulatorServer

    data_dir.mkdir(parents=True, exist_ok=True)
    for candidate in (port, 0):
        server = EmulatorServer(
            host=HOST,
            port=candidate,
            data_dir=str(data_dir),
            application_key_id=DEMO_KEY_ID,
            application_key=DEMO_KEY,
            absolute_minimum_part_size=DEMO_MIN_PART_SIZE,
        )
        try:
            server.start()
        except OSError:
            if candidate == 0:
                raise
            sys.stdout.write(f"Port {port} is taken; the emulator uses a free port instead.\n")
            continue
        return server
    raise RuntimeError("unreachable")


def ensure_upload_key(data_dir: Path) -> None:
    """The direct-upload key: restricted to the bucket and the staging prefix, made once.

    What ``manage.py b2_keys create direct-uploads --capabilities writeFiles --bucket B
    --name-prefix gallery/_staging/`` does; kept in ``data_dir`` so a restart reuses it.
    """
    from django_b2.client import B2Client
    from django_b2.client.errors import B2Error, B2NotFound

    prefix = "gallery/_staging/"  # example_site.settings.DIRECT_UPLOAD_STAGING_PREFIX
    bucket_name = os.environ.get("DJANGO_B2_DEMO_BUCKET", "django-b2-demo")
    saved = data_dir / "direct-upload-key.json"
    with B2Client(
        os.environ["DJANGO_B2_DEMO_KEY_ID"],
        os.environ["DJANGO_B2_DEMO_KEY"],
        api_url=os.environ["DJANGO_B2_DEMO_API_URL"],
    ) as client:
        try:
            bucket_id = client.get_bucket(bucket_name=bucket_name)["bucketId"]
        except B2NotFound:
            bucket_id = client.create_bucket(bucket_name, "allPrivate")["bucketId"]
        if saved.exists():
            key = json.loads(saved.read_text())
            try:
                with B2Client(
                    key["applicationKeyId"],
                    key["applicationKey"],
                    api_url=os.environ["DJANGO_B2_DEMO_API_URL"],
                ) as restricted:
                    auth = restricted.authorization
                usable = auth.bucket_id == bucket_id and auth.name_prefix == prefix
            except B2Error:
                usable = False
            if usable:
                return
        created = client.create_key(
            "demo-direct-uploads", ["writeFiles"], bucket_id=bucket_id, name_prefix=prefix
        )
    saved.write_text(
        json.dumps(
            {
                "applicationKeyId": created["applicationKeyId"],
                "applicationKey": created["applicationKey"],
            }
        )
    )
    saved.chmod(0o600)
    sys.stdout.write(f"Created the direct-upload key (writeFiles on {prefix} only).\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--emulator-port", type=int, default=8787)
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument("--external-emulator", action="store_true")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_B2_DEMO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")
    sys.path.insert(0, str(HERE))

    emulator = None
    if not args.external_emulator:
        emulator = start_emulator(args.emulator_port, data_dir / "b2")
        os.environ["DJANGO_B2_DEMO_API_URL"] = emulator.url
        os.environ["DJANGO_B2_DEMO_KEY_ID"] = DEMO_KEY_ID
        os.environ["DJANGO_B2_DEMO_KEY"] = DEMO_KEY
        os.environ.setdefault("DJANGO_B2_DEMO_PART_SIZE", str(DEMO_MIN_PART_SIZE))

    ensure_upload_key(data_dir)

    port = args.port if port_is_free(args.port) else free_port()
    site = f"http://{HOST}:{port}"
    os.environ["DJANGO_B2_DEMO_ORIGINS"] = f"{site},http://localhost:{port}"

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("demo_setup", username=ADMIN_USER, password=ADMIN_PASSWORD)
        sys.stdout.write(
            "\n".join(
                [
                    "",
                    "django_b2 demo",
                    f"  site:     {site}/",
                    f"  admin:    {site}/admin/",
                    f"  log in:   user {ADMIN_USER!r}, password {ADMIN_PASSWORD!r}",
                    f"  B2 API:   {os.environ['DJANGO_B2_DEMO_API_URL']}"
                    + ("  (embedded emulator)" if emulator else ""),
                    f"  data:     {data_dir}",
                    "  stop:     Ctrl-C",
                    "",
                ]
            )
            + "\n"
        )
        sys.stdout.flush()
        call_command(
            "runserver",
            f"{HOST}:{port}",
            use_reloader=False,
            use_threading=True,
            insecure_serving=True,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if emulator is not None:
            emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
