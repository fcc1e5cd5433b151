"""`mvbot demo --once`: the whole product in one process, run as a person runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.bot_fixtures import open_video, sha256_of

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 120.0  # seconds for one demo run; it takes a few


def demo(command: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    # The demo reads MVBOT_* settings; the test runner's own (a database URL for the test
    # suite, say) must not leak into it.
    env = {name: value for name, value in os.environ.items() if not name.startswith("MVBOT_")}
    # This checkout's code, whichever checkout the environment's package was installed from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
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


def test_demo_once_saves_one_clip_per_camera_starting_at_the_same_instant(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    run = demo("clip lobby, warehouse 10m ago 1m", data_dir)
    assert run.returncode == 0, run.stdout + run.stderr

    saved = [Path(p) for p in re.findall(r"^\s*saved: (.+\.mp4)\s*$", run.stdout, re.MULTILINE)]
    assert [p.name.split("_")[0] for p in saved] == ["lobby", "warehouse"], run.stdout
    starts = []
    for path in saved:
        checksum = sha256_of(path)
        # On the clip's own reply and on its row of the summary table.
        assert re.search(rf"^\s*SHA-256\s+{checksum}\s*$", run.stdout, re.MULTILINE)
        assert re.search(
            rf"^\s*{path.name.split('_')[0].title()}\s.+\s{checksum}\s*$",
            run.stdout,
            re.MULTILINE | re.IGNORECASE,
        )
        video = open_video(path)
        assert abs(video.duration - 60) <= 1
        assert video.last_ms - video.first_ms == 60_000 - round(video.frame_ms)
        starts.append(video.first_ms)
    assert abs(starts[0] - starts[1]) <= 500
