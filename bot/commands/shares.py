"""Stream shares from chat: `share`, `shares`, `extend`, `revoke` and `access log` (operators).

The link itself is only ever shown privately to the person who asked (and sent to the
recipient by e-mail or direct message); what the room sees never carries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.access import Role
from bot.commands.common import find_camera
from bot.errors import UserError
from bot.grammar.formatting import duration, iso_utc
from bot.grammar.lengths import parse_length
from bot.grammar.tokens import ParseError, Unrecognised, echo, is_quoted, join_words
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp
from bot.grammar.when import TIME_FORMS_HELP, parse_when, resolve
from bot.messages import Field, Hyperlink, Person, Reply, Tone, literal
from bot.router import Command
from bot.shares import NoActiveShare, Share, ShareService, camera_facts, deliver
from bot.shares.addresses import NotAnAddress, checked_address
from bot.shares.mail import Mailer
from bot.store import Outcome

if TYPE_CHECKING:
    from bot.router import Request

MAX_EXTEND = timedelta(days=7)
# The widths of shares.recipient_name (255) and what a reason usefully holds.
MAX_OPTION = {"name": 255, "reason": 1000}
LOG_ROWS = 25

SHARE_HELP = CommandHelp(
    name="share",
    usage='share <camera>[, <camera>…] with <email> [name "<name>"] [reason "<text>"] [pin]',
    summary="Give someone without a dashboard account a live view link (24 h).",
    examples=(
        "share lobby with guard@example.com",
        'share lobby, garage with police@example.org name "Officer Reyes" reason "case 4411"',
        "share garage entrance with contractor@example.com pin",
    ),
    details="\n".join(
        (
            CAMERA_FORMS_HELP,
            "One link per e-mail: sharing another camera with the same e-mail adds it to "
            "that link and makes every active stream of the e-mail last 24 h from now.",
            "The link is shown only to you, e-mailed to the recipient when mvbot can send "
            "mail, and sent by direct message when they are in this workspace. With `pin`, "
            "the page also asks for a PIN that only you are shown.",
        )
    ),
)
SHARES_HELP = CommandHelp(
    name="shares",
    usage="shares [camera|email]",
    summary="List active stream shares, of a camera or an e-mail.",
    examples=("shares", "shares lobby", "shares guard@example.com"),
)
EXTEND_HELP = CommandHelp(
    name="extend",
    usage="extend <email> [<n>h]",
    summary="Add time (default 1 h) to every active stream shared with an e-mail.",
    examples=("extend guard@example.com", "extend guard@example.com 3h"),
)
REVOKE_HELP = CommandHelp(
    name="revoke",
    usage="revoke <camera> <email> | revoke all <email>",
    summary="End a stream share now, for one camera or all of an e-mail's.",
    examples=("revoke lobby guard@example.com", "revoke all guard@example.com"),
)
ACCESS_LOG_HELP = CommandHelp(
    name="access",
    usage="access log [camera|email] [since <when>]",
    summary="Who generated, viewed, extended or disabled stream links.",
    examples=("access log", "access log lobby since yesterday 9am", "access log x@example.com"),
    details=TIME_FORMS_HELP,
)


# Grammar -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareArgs:
    cameras: tuple[str, ...]
    email: str
    name: str | None = None
    reason: str | None = None
    pin: bool = False


_OPTIONS = frozenset({"name", "reason", "pin"})


def is_email(word: str) -> bool:
    local, at, domain = word.partition("@")
    return bool(local and at and "." in domain.strip(".")) and not any(c.isspace() for c in word)


def _email(word: str) -> str:
    return word.strip("<>").removeprefix("mailto:").lower()


def parse_share(tokens: Sequence[str]) -> ShareArgs:
    cut = next(
        (
            i
            for i, word in enumerate(tokens)
            if not is_quoted(word)
            and word.lower() == "with"
            and i + 1 < len(tokens)
            and is_email(_email(tokens[i + 1]))
        ),
        None,
    )
    if cut is None:
        raise ParseError("Share which camera with whom? Try `share lobby with guard@example.com`.")
    cameras: list[str] = []
    current: list[str] = []
    for word in [*tokens[:cut], ","]:
        if not is_quoted(word) and word.lower() in (",", "and"):
            if current:
                cameras.append(join_words(current))
            current = []
        else:
            current.append(word)
    if not cameras:
        raise ParseError("Which camera? Try `share lobby with guard@example.com`.")
    options: dict[str, str] = {}
    pin = False
    rest = list(tokens[cut + 2 :])
    while rest:
        word = rest.pop(0)
        key = word.lower()
        if is_quoted(word) or key not in _OPTIONS or key in options or (key == "pin" and pin):
            raise ParseError(
                f"I don't understand '{echo(word)}' there — after the e-mail come only "
                '`name "…"`, `reason "…"` and `pin`.'
            )
        if key == "pin":
            pin = True
            continue
        value: list[str] = []
        while rest and (is_quoted(rest[0]) or rest[0].lower() not in _OPTIONS):
            value.append(rest.pop(0))
        if not value:
            raise ParseError(f'Give the {key} in quotes, e.g. `{key} "…"`.')
        options[key] = join_words(value)
        if len(options[key]) > MAX_OPTION[key]:
            raise ParseError(f"The {key} is too long: at most {MAX_OPTION[key]} characters.")
    try:
        email = checked_address(_email(tokens[cut + 1]))
    except NotAnAddress as error:
        raise ParseError(f"'{echo(tokens[cut + 1])}' is not an e-mail address: {error}") from None
    return ShareArgs(tuple(cameras), email, options.get("name"), options.get("reason"), pin)


def parse_extend(tokens: Sequence[str]) -> tuple[str, timedelta]:
    words = [w for w in tokens if w != ","]
    emails = [w for w in words if is_email(_email(w))]
    if len(emails) != 1:
        raise ParseError("Extend whose streams? Try `extend guard@example.com 2h`.")
    rest = [w for w in words if w is not emails[0] and w.lower() not in ("by", "for")]
    try:
        length = parse_length(rest) if rest else timedelta(hours=1)
    except Unrecognised:
        raise ParseError(
            f"'{echo(rest)}' is not a length — try `extend {_email(emails[0])} 2h`."
        ) from None
    if length > MAX_EXTEND:
        raise ParseError(f"Extend by at most {duration(MAX_EXTEND)} at a time.")
    return _email(emails[0]), length


def parse_revoke(tokens: Sequence[str]) -> tuple[str | None, str]:
    """(camera or None for all, email)."""
    words = [w for w in tokens if w != ","]
    emails = [w for w in words if is_email(_email(w))]
    if len(emails) != 1:
        raise ParseError("Revoke whose stream? Try `revoke lobby guard@example.com`.")
    rest = [w for w in words if w is not emails[0]]
    if len(rest) == 1 and not is_quoted(rest[0]) and rest[0].lower() == "all":
        return None, _email(emails[0])
    if not rest:
        raise ParseError(
            f"Which camera? Try `revoke lobby {_email(emails[0])}` or "
            f"`revoke all {_email(emails[0])}`."
        )
    return join_words(rest), _email(emails[0])


def parse_access_log(tokens: Sequence[str]) -> tuple[str | None, list[str] | None]:
    """(camera or e-mail filter, the words after `since`)."""
    words = [w for w in tokens if w != ","]
    if not words or is_quoted(words[0]) or words[0].lower() != "log":
        raise ParseError("Did you mean `access log`? Try `access log lobby since yesterday`.")
    words = words[1:]
    since = next(
        (i for i, w in enumerate(words) if not is_quoted(w) and w.lower() == "since"), None
    )
    when = None if since is None else list(words[since + 1 :])
    if when is not None and not when:
        raise ParseError("Since when? Try `access log since yesterday 9am`.")
    subject = join_words(words[:since]).strip()
    return subject or None, when


# Handlers ------------------------------------------------------------------------------


def commands(service: ShareService, mailer: Mailer | None) -> list[Command]:
    async def share(request: Request, tokens: list[str]) -> Outcome:
        return await run_share(request, tokens, service, mailer)

    async def shares(request: Request, tokens: list[str]) -> Outcome:
        return await run_shares(request, tokens, service)

    async def extend(request: Request, tokens: list[str]) -> Outcome:
        email, length = parse_extend(tokens)
        try:
            extended = await service.extend(email, length, actor=actor(request.message.person))
        except NoActiveShare as error:
            raise UserError(str(error)) from None
        names = ", ".join(s.camera.name for s in extended)
        until = max(s.expires_at for s in extended)
        text = f"Extended {email}'s streams (*{names}*) by {duration(length)}: now until "
        await request.say(Reply(text + f"{iso_utc(until)}.", tone=Tone.SUCCESS))
        return Outcome.OK

    async def revoke(request: Request, tokens: list[str]) -> Outcome:
        camera, email = parse_revoke(tokens)
        serial = None if camera is None else (await find_camera(request, camera))[0].serial
        try:
            ended = await service.revoke(email, serial, actor=actor(request.message.person))
        except NoActiveShare as error:
            raise UserError(str(error)) from None
        names = ", ".join(s.camera.name for s in ended)
        text = f"Revoked *{names}* for {email}: the link no longer shows "
        text += "it." if len(ended) == 1 else "them."
        await request.say(Reply(text, tone=Tone.SUCCESS))
        return Outcome.OK

    async def access_log(request: Request, tokens: list[str]) -> Outcome:
        return await run_access_log(request, tokens, service)

    return [
        Command(help=SHARE_HELP, role=Role.OPERATOR, handler=share),
        Command(help=SHARES_HELP, role=Role.OPERATOR, handler=shares),
        Command(help=EXTEND_HELP, role=Role.OPERATOR, handler=extend),
        Command(help=REVOKE_HELP, role=Role.OPERATOR, handler=revoke),
        Command(help=ACCESS_LOG_HELP, role=Role.OPERATOR, handler=access_log),
    ]


def actor(person: Person) -> str:
    """Who did it from chat, as the access log names them."""
    known = person.name or person.email
    who = f"{known} ({person.platform} {person.id})" if known else f"{person.platform} {person.id}"
    return who[:255]


async def run_share(
    request: Request, tokens: list[str], service: ShareService, mailer: Mailer | None
) -> Outcome:
    args = parse_share(tokens)
    if not service.public_url:
        raise UserError(
            "Share links need mvbot's web server, which `mvbot run` starts "
            "(links use MVBOT_PUBLIC_URL, or the address it listens on)."
        )
    records = [(await find_camera(request, name))[0] for name in args.cameras]
    facts = [await camera_facts(request.services.meraki, record) for record in records]
    message = request.message
    new = await service.share(
        facts,
        args.email,
        actor=actor(message.person),
        place=message.place,
        name=args.name,
        reason=args.reason,
        pin=args.pin,
    )
    sharer = message.person.label
    sent = await deliver(
        new,
        sharer=sharer,
        mailer=mailer,
        outbox=request.services.outbox,
        platform=message.place.platform,
    )
    names = ", ".join(literal(s.camera.name) for s in new.shares)
    channels = [c for c, done in (("e-mailed", sent.emailed), ("messaged", sent.messaged)) if done]
    to_them = f" and {' and '.join(channels)} to {new.email}" if channels else ""
    fields = [Field("Valid until", iso_utc(new.expires_at))]
    if new.pin:
        fields.append(Field("PIN", f"{new.pin} — give it to {new.email} another way"))
    context = [*sent.problems]
    if not channels:
        context.append(f"Nothing was sent to {new.email}: pass the link on yourself.")
    await request.say(
        Reply(
            f"Stream link for {new.email} (*{names}*). Only you see this message.",
            title="Stream link",
            fields=tuple(fields),
            links=(Hyperlink("Open the live stream", new.url),),
            context=tuple(context),
            private=True,
        )
    )
    public = (
        f"Shared *{names}* with {new.email} until {iso_utc(new.expires_at)}"
        f" ({duration(new.expires_at - service.clock())}). The link was sent to you privately"
        f"{to_them}."
    )
    await request.say(Reply(public, tone=Tone.SUCCESS))
    return Outcome.OK


async def run_shares(request: Request, tokens: list[str], service: ShareService) -> Outcome:
    subject = join_words([w for w in tokens if w != ","]).strip()
    if not subject:
        found = await service.active()
    elif is_email(_email(subject)):
        found = await service.active(email=_email(subject))
    else:
        record, _ = await find_camera(request, subject)
        found = await service.active(serial=record.serial)
    if not found:
        text = "No stream is shared right now." if not subject else f"Nothing shared for {subject}."
        await request.say(Reply(text))
        return Outcome.OK
    rows: list[tuple[str, ...]] = [("Camera", "E-mail", "Name", "Until (UTC)", "Shared by")]
    rows += [_share_row(s) for s in found]
    count = f"{len(found)} active stream share{'s' if len(found) != 1 else ''}"
    await request.say(Reply(count, title="Stream shares", table=tuple(rows)))
    return Outcome.OK


def _share_row(share: Share) -> tuple[str, ...]:
    return (
        share.camera.name,
        share.email,
        share.recipient_name or "–",
        iso_utc(share.expires_at).replace("T", " ").removesuffix("Z"),
        share.created_by,
    )


async def run_access_log(request: Request, tokens: list[str], service: ShareService) -> Outcome:
    subject, when = parse_access_log(tokens)
    email = serial = None
    if subject and is_email(_email(subject)):
        email = _email(subject)
    elif subject:
        serial = (await find_camera(request, subject))[0].serial
    since = None
    if when is not None:
        try:
            since, _ = resolve(parse_when(when), _asker_zone(request), request.services.clock())
        except Unrecognised:
            raise ParseError(f"'{echo(when)}' is not a time — try `since yesterday 9am`.") from None
    rows = await service.store.access_rows(email=email, serial=serial, since=since, limit=LOG_ROWS)
    if not rows:
        await request.say(Reply("No stream link activity matches."))
        return Outcome.OK
    table: list[tuple[str, ...]] = [("When (UTC)", "Event", "E-mail", "Camera", "Who / client")]
    for row in rows:
        who = row.actor or f"{row.client_address or '?'} {_short(row.user_agent)}".strip()
        when_text = iso_utc(row.at).replace("T", " ").removesuffix("Z")
        table.append((when_text, row.event.label, row.email, row.camera or "–", who))
    text = f"{len(rows)} entries, newest first" + (
        " (older ones not shown)." if len(rows) == LOG_ROWS else "."
    )
    await request.say(Reply(text, title="Stream access log", table=tuple(table)))
    return Outcome.OK


def _short(agent: str | None) -> str:
    if not agent:
        return ""
    return agent if len(agent) <= 40 else agent[:39] + "…"


def _asker_zone(request: Request) -> ZoneInfo:
    services, message = request.services, request.message
    for key in (message.person.id, message.person.email or ""):
        if key and (name := services.person_zones.get(key)):
            return ZoneInfo(name)
    if name := services.room_zones.get(message.place.room_id):
        return ZoneInfo(name)
    return ZoneInfo("UTC")
