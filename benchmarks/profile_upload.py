"""CPU and memory of one ``B2Client.upload`` of a path, in this process (for profiling).

Starts an emulator subprocess, writes an incompressible file, uploads it ``--repeat`` times and
prints user/sys CPU per GiB, minor page faults and VmHWM. Run it under py-spy or cProfile to see
where the time goes::

    .venv/bin/python benchmarks/profile_upload.py --size 256M --part-size 64M --workers 4
    .venv/bin/py-spy record -o upload.svg -- .venv/bin/python benchmarks/profile_upload.py
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import _harness as h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=h.size_arg, default=h.size_arg("256M"))
    parser.add_argument("--part-size", type=h.size_arg, default=h.size_arg("64M"))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--large-file-sha1", action="store_true", help="pass large_file_sha1=True")
    args = parser.parse_args()

    from django_b2.client import B2Client

    directory = h.scratch_dir("b2prof-")
    path = directory / "upload.bin"
    h.make_file(path, args.size)
    gib = args.size / (1 << 30)
    try:
        with h.emulator(min_part_size=1 << 20) as emu:
            client = B2Client(emu.key_id, emu.key, api_url=emu.url)
            client.authorize()
            bucket = client.create_bucket("profile-upload", "allPrivate")
            for index in range(args.repeat):
                before = resource.getrusage(resource.RUSAGE_SELF)
                started = time.perf_counter()
                client.upload(
                    bucket["bucketId"],
                    f"upload-{index}.bin",
                    str(path),
                    part_size=args.part_size,
                    max_workers=args.workers,
                    large_file_threshold=2 * args.part_size,
                    large_file_sha1=True if args.large_file_sha1 else None,
                )
                wall = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_SELF)
                print(
                    f"{h.human(args.size)}: wall {wall:.2f} s, "
                    f"user {(after.ru_utime - before.ru_utime) / gib:.2f} s/GiB, "
                    f"sys {(after.ru_stime - before.ru_stime) / gib:.2f} s/GiB, "
                    f"minor faults {after.ru_minflt - before.ru_minflt}, "
                    f"VmHWM {h.vmhwm_mib():.0f} MiB",
                    flush=True,
                )
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
