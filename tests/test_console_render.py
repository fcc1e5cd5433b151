from pathlib import Path

from adapters.console import render
from bot.messages import Attachment, Button, Field, Reply, Tone


def test_render_shows_title_fields_table_file_and_buttons(tmp_path: Path) -> None:
    clip = tmp_path / "lobby.mp4"
    clip.write_bytes(b"x")
    reply = Reply(
        "*Lobby* 14:30–14:32",
        tone=Tone.SUCCESS,
        title="Lobby — clip",
        fields=(Field("SHA-256", "abc"), Field("Size", "1 B")),
        table=(("Name", "Status"), ("Lobby", "online")),
        attachment=Attachment(clip, "video", "video/mp4", clip.name),
        buttons=(Button("30 s earlier", "clip lobby 14:29:30 2m"),),
    )
    text = render(reply)
    assert text.splitlines()[0] == "✔ Lobby — clip"
    assert "Lobby 14:30–14:32" in text and "*" not in text
    assert "SHA-256  abc" in text
    assert "Lobby  online" in text
    assert f"saved: {clip}" in text
    assert "[30 s earlier: clip lobby 14:29:30 2m]" in text


def test_errors_are_marked() -> None:
    assert render(Reply("nope", tone=Tone.ERROR)).startswith("✘ nope")
