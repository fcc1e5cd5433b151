import os
import time
from datetime import timedelta
from pathlib import Path

from bot.media.housekeeping import sweep


def test_only_files_older_than_the_keep_time_are_removed(tmp_path: Path) -> None:
    now = time.time()
    old = tmp_path / "2026" / "lobby_old.mp4"
    old.parent.mkdir()
    old.write_bytes(b"x")
    os.utime(old, (now - 3 * 86400, now - 3 * 86400))
    fresh = tmp_path / "lobby_new.mp4"
    fresh.write_bytes(b"y")
    assert sweep(tmp_path, timedelta(days=2), now=now) == 1
    assert not old.exists() and fresh.exists() and old.parent.is_dir()
