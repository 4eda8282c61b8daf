"""``python -m django_b2.emulator``: serve a local B2 until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from .faults import FaultConfig
from .server import EmulatorServer


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a rate from 0 to 1")
    return value


#: The fault flags: (flag, the ``FaultConfig`` field it sets and takes its default from, type,
#: help).
_FAULT_OPTIONS: tuple[tuple[str, str, Callable[[str], Any], str | None], ...] = (
    ("--seed", "seed", int, "fault injection seed"),
    ("--upload-503-rate", "upload_503_rate", _rate, None),
    ("--api-503-rate", "api_503_rate", _rate, None),
    ("--api-429-rate", "api_429_rate", _rate, None),
    ("--retry-after", "retry_after", int, "Retry-After of injected errors"),
    (
        "--expire-tokens-after",
        "expire_tokens_after_calls",
        int,
        "account tokens expire after N calls",
    ),
    ("--drop-connection-rate", "drop_connection_rate", _rate, None),
    (
        "--fail-some-uploads-rate",
        "fail_some_uploads_rate",
        _rate,
        "share of uploads failed under X-Bz-Test-Mode: fail_some_uploads",
    ),
    ("--latency", "latency_seconds", float, "seconds added to each request"),
    (
        "--replication-delay",
        "replication_delay",
        float,
        "seconds a new version stays replicationStatus pending before it is replicated",
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m django_b2.emulator",
        description="A local Backblaze B2 native API emulator. Prints one JSON line with the url "
        "and credentials once it is ready, then serves until SIGINT/SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8787, help="port; 0 picks a free one")
    parser.add_argument("--data-dir", help="keep data here across restarts (default: temp dir)")
    parser.add_argument("--key-id", help="master application key id (default: generated)")
    parser.add_argument("--key", help="master application key (default: generated)")
    parser.add_argument(
        "--min-part-size",
        type=int,
        default=5_000_000,
        help="absoluteMinimumPartSize reported and enforced",
    )
    parser.add_argument(
        "--recommended-part-size",
        type=int,
        default=None,
        help="recommendedPartSize (default max(100 MB, --min-part-size))",
    )
    defaults = FaultConfig()
    for flag, field, kind, text in _FAULT_OPTIONS:
        parser.add_argument(flag, type=kind, default=getattr(defaults, field), help=text)
    parser.add_argument(
        "--certfile", help="serve HTTPS with this certificate chain (PEM); default plain HTTP"
    )
    parser.add_argument("--keyfile", help="the private key of --certfile (PEM), if separate")
    parser.add_argument(
        "--max-connections",
        type=int,
        default=512,
        help="open connections at most; idle ones are closed first to make room",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def faults_from_args(args: argparse.Namespace) -> FaultConfig:
    return FaultConfig(
        **{field: getattr(args, flag[2:].replace("-", "_")) for flag, field, _, _ in _FAULT_OPTIONS}
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.key_id is None) != (args.key is None):
        parser.error("give both --key-id and --key, or neither")
    if args.keyfile is not None and args.certfile is None:
        parser.error("--keyfile needs --certfile")
    for path in (args.certfile, args.keyfile):
        if path is not None and not os.path.isfile(path):
            parser.error(f"no such file: {path}")
    if args.max_connections < 1:
        parser.error("--max-connections must be at least 1")
    try:
        faults = faults_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    server = EmulatorServer(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        application_key_id=args.key_id,
        application_key=args.key,
        recommended_part_size=args.recommended_part_size or max(100_000_000, args.min_part_size),
        absolute_minimum_part_size=args.min_part_size,
        faults=faults,
        max_connections=args.max_connections,
        certfile=args.certfile,
        keyfile=args.keyfile,
        verbose=args.verbose,
    )
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.start()
    except ssl.SSLError as exc:
        parser.exit(1, f"cannot use --certfile/--keyfile: {exc}\n")
    except OSError as exc:
        parser.exit(1, f"cannot listen on {args.host}:{args.port}: {exc} (try --port 0)\n")
    try:
        line = {
            "url": server.url,
            "application_key_id": server.application_key_id,
            "application_key": server.application_key,
            "admin_token": server.admin_token,
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        while not stopping.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
