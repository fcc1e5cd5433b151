"""`mvbot demo --once`: the whole product in one process, run as a person runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.bot_fixtures import open_video, sha256_of

DEADLINE = 120.0  # seconds for one demo run; it takes a few


def demo(command: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    # The demo reads MVBOT_* settings; the test runner's own (a database URL for the test
    # suite, say) must not leak into it.
    env = {name: value for name, value in os.environ.items() if not name.startswith("MVBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--once", command, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir.parent,
        timeout=DEADLINE,
        check=False,
    )


def test_demo_once_saves_the_clip_it_prints_with_its_checksum(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    run = demo("clip lobby 10m ago 2m", data_dir)
    assert run.returncode == 0, run.stdout + run.stderr

    checksum = re.search(r"^\s*SHA-256\s+([0-9a-f]{64})\s*$", run.stdout, re.MULTILINE)
    saved = re.search(r"^\s*saved: (.+\.mp4)\s*$", run.stdout, re.MULTILINE)
    assert checksum and saved, run.stdout
    path = Path(saved.group(1))
    assert path.is_file() and path.is_relative_to(data_dir)
    assert sha256_of(path) == checksum.group(1)
    video = open_video(path)
    assert abs(video.duration - 120) <= 1
    assert video.last_ms - video.first_ms == 120_000 - round(video.frame_ms)
    assert "Lobby" in run.stdout and "UTC" in run.stdout


def test_demo_once_fails_for_a_camera_that_does_not_exist(tmp_path: Path) -> None:
    run = demo("clip nosuchcamera 10m ago", tmp_path / "demo")
    assert run.returncode != 0
    assert "Camera 'nosuchcamera' not found" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert not list((tmp_path / "demo").rglob("*.mp4"))
