"""Shared plumbing for the benchmark scripts.

Every script starts its own emulator as a subprocess (``python -m django_b2.emulator --port 0``),
talks to it over real HTTP, and runs each measured operation in a fresh child process so that the
CPU time and peak RSS of one client never leak into another client's figures.

A child is this same interpreter running ``<script> --child '<json>'``; it prints one JSON line
with the operation's own wall time and CPU time. The parent collects the child's whole-process
rusage with ``os.wait4`` (``ru_maxrss`` is the child's peak RSS).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "benchmarks" / "out"
MiB = 1024 * 1024
GiB = 1024 * MiB
API = "/b2api/v3"


# --------------------------------------------------------------------------- machine / output


def machine() -> dict[str, str]:
    """nproc, CPU model, Python version and OS, for the report."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def load1() -> float:
    """The 1-minute load average (other work on the machine skews wall-clock figures)."""
    return round(os.getloadavg()[0], 2)


def print_machine() -> None:
    m = machine()
    print(
        f"machine: nproc={m['nproc']} cpu={m['cpu']!r} python={m['python']} os={m['os']} "
        f"load1={load1()}"
    )


def aggregate(client: str, size: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Best wall (fastest run), median CPU, max RSS; per-GiB and MiB/s figures for one client."""
    gib = size / GiB
    best = min(r["wall"] for r in runs)
    med = statistics.median(r["wall"] for r in runs)
    rec: dict[str, Any] = {
        "client": client,
        "size": size,
        "runs": runs,
        "wall": best,
        "wall_median": med,
        "mib_s": size / MiB / best,
        "mib_s_median": size / MiB / med,
        "cpu_per_gib": statistics.median(r["cpu"] for r in runs) / gib,
        "maxrss_mib": max(r["maxrss_mib"] for r in runs),
        "emulator_cpu_per_gib": statistics.median(r["emulator_cpu"] for r in runs) / gib,
    }
    if all("cpu_total" in r for r in runs):
        rec["cpu_total_per_gib"] = statistics.median(r["cpu_total"] for r in runs) / gib
    return rec


def save_results(name: str, data: Any) -> Path:
    """Write ``data`` as JSON to benchmarks/out/<name>.json (git-ignored) and return the path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), "results": data}, indent=2))
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the output can be pasted into BENCHMARKS.md as is."""
    cells = [[str(c) for c in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    return str(value)


def size_arg(text: str) -> int:
    """Parse '256M', '1G', '4GiB', '1000' into bytes (binary units)."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    units = {"K": 1024, "M": MiB, "G": GiB}
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(t)


def human(n: int) -> str:
    if n >= GiB and n % GiB == 0:
        return f"{n // GiB} GiB"
    if n >= MiB:
        return f"{n / MiB:g} MiB"
    return f"{n} B"


# --------------------------------------------------------------------------- test data


def make_file(path: Path, size: int) -> str:
    """Write ``size`` incompressible bytes to ``path``; return their hex SHA-1.

    One 4 MiB random block is written repeatedly with a block counter stamped into its first
    8 bytes, so every block differs and generation is limited by the disk, not by urandom.
    """
    block = bytearray(os.urandom(4 * MiB))
    sha1 = hashlib.sha1()
    written = 0
    counter = 0
    with path.open("wb") as fh:
        while written < size:
            block[:8] = counter.to_bytes(8, "big")
            chunk = memoryview(block)[: min(len(block), size - written)]
            fh.write(chunk)
            sha1.update(chunk)
            written += len(chunk)
            counter += 1
    return sha1.hexdigest()


def file_sha1(path: Path | str) -> str:
    sha1 = hashlib.sha1()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * MiB):
            sha1.update(chunk)
    return sha1.hexdigest()


def scratch_dir(prefix: str, parent: Path | None = None) -> Path:
    """A temp dir (under ``parent`` or $TMPDIR) removed when the script exits, even on errors."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def check_disk(path: Path, needed: int) -> None:
    free = shutil.disk_usage(path).free
    if free < needed:
        raise SystemExit(
            f"not enough disk in {path}: {free / GiB:.1f} GiB free, {needed / GiB:.1f} GiB needed; "
            "pass smaller --sizes or point TMPDIR at a bigger disk"
        )


# --------------------------------------------------------------------------- the emulator


@dataclass
class Emulator:
    """A running ``python -m django_b2.emulator`` subprocess."""

    url: str
    key_id: str
    key: str
    proc: subprocess.Popen[str]
    data_dir: Path
    admin_token: str = ""

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"X-Emulator-Admin-Token": self.admin_token}

    # ---- admin endpoints
    def counters(self) -> dict[str, Any]:
        r = requests.get(f"{self.url}/_emulator/counters", headers=self.admin_headers, timeout=30)
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    def reset_counters(self) -> None:
        requests.post(
            f"{self.url}/_emulator/counters/reset", headers=self.admin_headers, timeout=30
        ).raise_for_status()

    def set_faults(self, **fields: Any) -> None:
        requests.post(
            f"{self.url}/_emulator/faults", json=fields, headers=self.admin_headers, timeout=30
        ).raise_for_status()

    def cpu_seconds(self) -> float:
        """User+sys CPU seconds the emulator process has used so far (from /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mib(self) -> float:
        return vmhwm_mib(self.proc.pid)


@contextmanager
def emulator(
    min_part_size: int = MiB,
    extra: Sequence[str] = (),
    data_dir: Path | None = None,
    tree: Path = ROOT,
) -> Iterator[Emulator]:
    """Start the emulator on a free port with its data in a temp dir; stop it on exit.

    ``tree``: the checkout whose ``django_b2`` runs (its directory comes first on the path).
    """
    own_dir = data_dir is None
    ddir = scratch_dir("b2bench-emu-") if data_dir is None else data_dir
    cmd = [
        sys.executable,
        "-m",
        "django_b2.emulator",
        "--port",
        "0",
        "--data-dir",
        str(ddir),
        "--min-part-size",
        str(min_part_size),
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"emulator exited before printing its JSON line: {cmd}")
        info = json.loads(line)
        yield Emulator(
            url=info["url"],
            key_id=info["application_key_id"],
            key=info["application_key"],
            proc=proc,
            data_dir=ddir,
            admin_token=info["admin_token"],
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if own_dir:
            shutil.rmtree(ddir, ignore_errors=True)


# --------------------------------------------------------------------------- raw B2 calls


class BigBlockAdapter(HTTPAdapter):
    """urllib3 sends file bodies in ``blocksize`` pieces (16 KiB by default); this uses 1 MiB."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["blocksize"] = MiB
        super().init_poolmanager(*args, **kwargs)


def big_block_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", BigBlockAdapter())
    return session


@dataclass
class RawB2:
    """Just enough of the native API, spoken with plain ``requests``, for set-up and baselines."""

    url: str
    key_id: str
    key: str
    session: requests.Session = field(default_factory=requests.Session)
    auth: dict[str, Any] = field(default_factory=dict)

    def authorize(self) -> dict[str, Any]:
        basic = base64.b64encode(f"{self.key_id}:{self.key}".encode()).decode()
        r = self.session.get(
            f"{self.url}{API}/b2_authorize_account",
            headers={"Authorization": f"Basic {basic}"},
            timeout=30,
        )
        r.raise_for_status()
        self.auth = r.json()
        return self.auth

    @property
    def token(self) -> str:
        if not self.auth:
            self.authorize()
        return str(self.auth["authorizationToken"])

    @property
    def api_url(self) -> str:
        if not self.auth:
            self.authorize()
        return str(self.auth["apiInfo"]["storageApi"]["apiUrl"])

    @property
    def download_url(self) -> str:
        if not self.auth:
            self.authorize()
        return str(self.auth["apiInfo"]["storageApi"]["downloadUrl"])

    def call(self, name: str, **body: Any) -> dict[str, Any]:
        r = self.session.post(
            f"{self.api_url}{API}/{name}",
            json=body,
            headers={"Authorization": self.token},
            timeout=60,
        )
        if r.status_code != 200:
            raise RuntimeError(f"{name} -> {r.status_code} {r.text}")
        result: dict[str, Any] = r.json()
        return result

    def create_bucket(self, name: str, bucket_type: str = "allPrivate") -> str:
        body = self.call(
            "b2_create_bucket",
            accountId=self.auth["accountId"] if self.auth else self.authorize()["accountId"],
            bucketName=name,
            bucketType=bucket_type,
        )
        return str(body["bucketId"])

    def upload_url(self, bucket_id: str) -> tuple[str, str]:
        body = self.call("b2_get_upload_url", bucketId=bucket_id)
        return str(body["uploadUrl"]), str(body["authorizationToken"])

    def upload_stream(
        self, bucket_id: str, name: str, body: Any, length: int, sha1: str
    ) -> dict[str, Any]:
        """One ``b2_upload_file`` POST; ``body`` may be bytes or a file object (streamed)."""
        url, token = self.upload_url(bucket_id)
        r = self.session.post(
            url,
            data=body,
            headers={
                "Authorization": token,
                "X-Bz-File-Name": urllib.parse.quote(name, safe="/"),
                "Content-Type": "application/octet-stream",
                "Content-Length": str(length),
                "X-Bz-Content-Sha1": sha1,
            },
            timeout=600,
        )
        if r.status_code != 200:
            raise RuntimeError(f"b2_upload_file -> {r.status_code} {r.text}")
        result: dict[str, Any] = r.json()
        return result

    def download_discard(self, bucket_name: str, name: str, chunk: int = MiB) -> int:
        """Stream a file by name and throw the bytes away; return how many arrived."""
        r = self.session.get(
            f"{self.download_url}/file/{bucket_name}/{urllib.parse.quote(name, safe='/')}",
            headers={"Authorization": self.token},
            stream=True,
            timeout=600,
        )
        if r.status_code != 200:
            raise RuntimeError(f"download -> {r.status_code} {r.text}")
        n = 0
        for piece in r.raw.stream(chunk, decode_content=False):
            n += len(piece)
        return n

    def download_to(self, bucket_name: str, name: str, sink: Any, chunk: int = MiB) -> int:
        """Stream a file by name into ``sink`` (a binary file); return how many bytes arrived."""
        r = self.session.get(
            f"{self.download_url}/file/{bucket_name}/{urllib.parse.quote(name, safe='/')}",
            headers={"Authorization": self.token},
            stream=True,
            timeout=600,
        )
        if r.status_code != 200:
            raise RuntimeError(f"download -> {r.status_code} {r.text}")
        n = 0
        for piece in r.raw.stream(chunk, decode_content=False):
            n += sink.write(piece)
        return n

    def delete_all(self, bucket_id: str) -> int:
        """Delete every version in a bucket (frees the emulator's disk between runs)."""
        deleted = 0
        while True:
            body = self.call("b2_list_file_versions", bucketId=bucket_id, maxFileCount=1000)
            files = body["files"]
            for f in files:
                self.call("b2_delete_file_version", fileName=f["fileName"], fileId=f["fileId"])
                deleted += 1
            if not files:
                return deleted


# --------------------------------------------------------------------------- child processes


@dataclass
class ChildResult:
    report: dict[str, Any]  # what the child printed (wall, cpu, ...)
    maxrss_mib: float  # peak RSS of the whole child process
    cpu_total: float  # user+sys of the whole child process, start-up included
    returncode: int


def run_child(script: str, payload: dict[str, Any], timeout: float = 1800) -> ChildResult:
    """Run ``script --child <json>`` in a fresh interpreter and collect its rusage via wait4."""
    proc = subprocess.Popen(
        [sys.executable, script, "--child", json.dumps(payload)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    watchdog = threading.Timer(timeout, proc.kill)  # a hung child fails the run, not hangs it
    watchdog.start()
    try:
        out = proc.stdout.read()
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"child {script} {payload} failed (exit {proc.returncode}): {out[-2000:]}"
        )
    return ChildResult(
        report=json.loads(lines[-1]),
        maxrss_mib=ru.ru_maxrss / 1024,
        cpu_total=ru.ru_utime + ru.ru_stime,
        returncode=proc.returncode,
    )


def measure(fn: Callable[[], Any]) -> dict[str, Any]:
    """Time ``fn`` in this (child) process: wall seconds and user+sys CPU seconds of all threads."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    value = fn()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"wall": wall, "cpu": cpu, "value": value, "vmhwm_mib": vmhwm_mib()}


def vmhwm_mib(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) of a process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def child_main(handlers: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> bool:
    """If argv is ``--child <json>``, run the named handler, print its JSON and return True."""
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        payload = json.loads(sys.argv[2])
        report = handlers[payload["kind"]](payload)
        print(json.dumps(report), flush=True)
        return True
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- b2sdk


def b2sdk_bucket(
    url: str,
    key_id: str,
    key: str,
    bucket_name: str,
    part_size: int,
    workers: int,
    download_workers: int | None = None,
) -> Any:
    """A b2sdk v2 Bucket authorized against the emulator, with our part size and thread count."""
    from b2sdk.v2 import B2Api, InMemoryAccountInfo

    class FixedPartInfo(InMemoryAccountInfo):  # type: ignore[misc]
        # b2sdk plans parts from the account's recommended size; pin it to the benchmark's.
        def get_recommended_part_size(self) -> int:
            return part_size

    kwargs: dict[str, Any] = {"max_upload_workers": workers}
    if download_workers is not None:
        kwargs["max_download_workers"] = download_workers
    api = B2Api(FixedPartInfo(), **kwargs)
    api.authorize_account(url, key_id, key)
    return api.get_bucket_by_name(bucket_name)


def django_setup(
    url: str,
    key_id: str,
    key: str,
    bucket_name: str,
    caches: dict[str, Any] | None = None,
    **options: Any,
) -> None:
    """Configure Django in a child process with one B2Storage as the default storage."""
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        INSTALLED_APPS=["django_b2"],
        CACHES=caches or {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        STORAGES={
            "default": {
                "BACKEND": "django_b2.storage.B2Storage",
                "OPTIONS": {"bucket_name": bucket_name, **options},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        B2_APPLICATION_KEY_ID=key_id,
        B2_APPLICATION_KEY=key,
        B2_API_URL=url,
    )
    django.setup()
