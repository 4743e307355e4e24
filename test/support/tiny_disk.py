"""A real 2 MB file system for full-disk tests: a tmpfs mounted in a private mount namespace (`unshare --mount` as
root, `unshare --user --map-root-user --mount` otherwise), so nothing stays mounted after the test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

DISK_KB = 2048


def _namespace() -> list[str]:
    return ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]


def on_tiny_disk(disk: Path, free_kb: int, command: list[str], env: dict[str, str] | None = None,
                 before: str = "", after: str = "") -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `command` with `disk` a 2 MB tmpfs holding only `free_kb` KB free; (result, names left on the disk).

    `before` and `after` are shell lines run in the namespace ($0 is the disk); what `after` prints comes last."""
    disk.mkdir(exist_ok=True)
    script = (
        'mount -t tmpfs -o size=2m tmpfs "$0" || exit 90\n'
        f'head -c {(DISK_KB - free_kb) * 1024} /dev/zero > "$0/filler" 2>/dev/null\n'
        f"{before}\n"
        '"$@"; rc=$?\n'
        'echo "@@LISTING@@"; ls -A "$0"\n'
        'echo "@@AFTER@@"\n'
        f"{after}\n"
        "exit $rc\n"
    )
    completed = subprocess.run([*_namespace(), "sh", "-c", script, str(disk), *command], capture_output=True,
                               text=True, env=env, timeout=600)
    if completed.returncode == 90:
        pytest.skip(f"cannot mount a tmpfs here: {completed.stderr.strip()}")
    output, _, rest = completed.stdout.partition("@@LISTING@@\n")
    listing, _, completed.after = rest.partition("@@AFTER@@\n")
    completed.stdout = output
    return completed, sorted(listing.split())
