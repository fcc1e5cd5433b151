"""Acceptance over the fake Slack: a 500-row watchlist CSV with 3 bad rows, shared with
`@mvbot watchlist import`, is refused as a whole with a report naming rows and reasons;
fixed, it imports 500 watches; `watchlist export` posts a CSV that round-trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_slack import Call, running_fake_slack
from tests.plate_fixtures import ACCESS, DEADLINE
from tests.slack_requests import BOT_USER, SlackBot, slack_bot

ROOM = "C1"


def csv_rows(bad: dict[int, str]) -> bytes:
    rows = ["plate,note,hours"]
    rows += [
        f"CSV{n:04d},Visitor {n},{'21:00-06:00 weekdays' if n % 7 == 0 else ''}" for n in range(500)
    ]
    for index, row in bad.items():
        rows[index] = row
    return "\r\n".join(rows).encode()


async def share(slack: SlackBot, name: str, data: bytes, ts: str, text: str) -> str:
    file_id = slack.fake.add_file(name, data)
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> {text}",
        "channel": ROOM,
        "ts": ts,
        "event_ts": ts,
        "files": [{"id": file_id, "name": name, "size": len(data)}],
    }
    assert (await slack.event(event)).status_code == 200
    return file_id


def posted(*words: str) -> Any:
    def match(call: Call) -> bool:
        text = json.dumps(call.params)
        return call.method == "chat.postMessage" and all(w in text for w in words)

    return match


async def test_a_csv_watchlist_is_checked_whole_imported_and_exported(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    async with (
        running_fake_slack(tmp_path / "slack") as fake,
        slack_bot(bot_simulator, fake, tmp_path / "data", overrides={"access": ACCESS}) as slack,
    ):
        bad = {11: "X,one letter,", 250: "CSV9999,,25:00-06:00", 400: "=cmd|' /C calc'!A0,,"}
        first = await share(
            slack, "list.csv", csv_rows(bad), "1700000001.000100", "watchlist import"
        )
        report = await fake.wait_for(posted("Nothing imported"), DEADLINE)
        await slack.command("watchlist", channel=ROOM)
        empty = await fake.wait_for(lambda c: "Nothing is watched here" in json.dumps(c.params))

        fixed = csv_rows({})
        second = await share(slack, "fixed.csv", fixed, "1700000002.000100", "watchlist import")
        done = await fake.wait_for(posted("Imported 500 plates"), DEADLINE)
        await slack.command("watchlist export", channel=ROOM)
        upload = await fake.wait_for(
            lambda c: (
                c.method == "files.completeUploadExternal" and "watchlist" in json.dumps(c.params)
            ),
            DEADLINE,
        )
    text = json.dumps(report.params)
    assert "3 of 500 rows are wrong" in text
    for row in ("row 12:", "row 251:", "row 401:"):
        assert row in text
    assert "not a time" in text and "almost every plate" in text
    assert "characters a plate cannot have" in text
    assert empty is not None and "500 new" in json.dumps(done.params)
    (entry,) = json.loads(upload.params["files"])
    exported = fake.uploads[entry["id"]].read_bytes()
    downloads = [c for c in fake.calls if c.method == "download"]
    assert [c.params["file_id"] for c in downloads] == [first, second]
    assert exported.decode().replace("\r\n", "\n") == fixed.decode().replace("\r\n", "\n") + "\n"
