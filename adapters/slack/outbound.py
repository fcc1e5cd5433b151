"""Replies → Slack Web API calls: messages, edits, ephemeral answers, file uploads, links."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import (
    asker_note,
    blocks,
    comment_text,
    fallback_text,
    follow_up_blocks,
    kept_image,
    link_note,
)
from adapters.slack.files import (
    IMAGE_WAITS,
    SHARE_WAITS,
    UploadFailed,
    error_code,
    share_ts,
    shows_inline,
    unprocessed_file,
    upload,
)
from adapters.slack.inbound import PLATFORM, Asker
from adapters.slack.lookup import find_post, key_metadata, marked_filename
from adapters.slack.pacing import ChannelPacer
from bot.grammar.formatting import size
from bot.messages import Attachment, Message, Place, Reply, SentMessage
from bot.outbox import SharedTurns
from bot.web.links import FileLinks

log = logging.getLogger(__name__)

# Slack's own cap on one file; a workspace may set a lower one (build_slack_adapter).
SLACK_FILE_LIMIT = 1_000_000_000
# Answers that mean "the bot may not post here": the asker hears about it privately.
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
NOT_IN_CHANNEL = (
    ":information_source: I am not a member of this conversation, so only you can see "
    "this. Invite me (`/invite @mvbot`) to share answers and clips here."
)


class PrivateReplyError(LookupError):
    """A private reply outside any command: there is no asker to show it to."""


def _asker(answering: Message | None) -> Asker | None:
    return Asker.of(answering) if answering is not None else None


class Outbound:
    """Posts each reply the way Slack shows it best, through the per-channel queue."""

    def __init__(
        self,
        client: AsyncWebClient,
        links: FileLinks,
        *,
        pacer: ChannelPacer,
        upload_limit: int = SLACK_FILE_LIMIT,
        retry_handlers: list[AsyncRetryHandler] | None = None,
        image_waits: tuple[float, ...] = IMAGE_WAITS,
        share_waits: tuple[float, ...] = SHARE_WAITS,
    ) -> None:
        self._client = client
        self._links = links
        self._pacer = pacer
        self._upload_limit = upload_limit
        self._retry_handlers = retry_handlers or []
        self._image_waits = image_waits
        self._share_waits = share_waits

    def share_pace(self, turns: SharedTurns) -> None:
        """Take each channel's slots from the fleet's (bot.outbox.PaceSharing)."""
        self._pacer.shared = turns

    async def send(
        self,
        place: Place,
        reply: Reply,
        *,
        answering: Message | None = None,
        key: str | None = None,
    ) -> SentMessage:
        """Post `reply`; `answering` is the command it answers, whose asker a private reply
        goes to and whom a public one names; `key` is left on the post for `find`."""
        asker = _asker(answering)
        if reply.private and not place.direct:
            return await self._ephemeral(place, reply, asker)
        notes = tuple(n for n in (asker_note(asker),) if n)
        try:
            if reply.attachment is not None:
                return await self._share_file(place, reply, reply.attachment, notes, key)
            return await self._post(place, reply, notes, key)
        except SlackApiError as error:
            if error_code(error) in CHANNEL_ERRORS and asker and asker.response_url:
                return await self._respond(place, reply, asker, hint=NOT_IN_CHANNEL)
            raise

    async def find(self, place: Place, key: str, since: datetime) -> SentMessage | None:
        """The bot's post carrying `key` in `place` since `since` (bot.outbox.PostFinder)."""
        return await find_post(self._client, place, key, since)

    async def send_direct(self, email: str, reply: Reply) -> bool:
        """Message the workspace member with this e-mail in their direct conversation with
        the bot; False if Slack knows no member by it."""
        try:
            found = await self._client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error_code(error) == "users_not_found":
                return False
            raise
        user_id = str(found["user"]["id"])
        notes: tuple[str, ...] = ()
        if reply.attachment is not None:
            # Sharing a file needs a conversation id, and only a user id is known: a link.
            notes = (await self._link(reply.attachment, "sent to you alone"),)
        await self._post(Place(PLATFORM, user_id, direct=True), reply, notes)
        return True

    async def update(
        self, sent: SentMessage, reply: Reply, *, answering: Message | None = None
    ) -> None:
        """Edit a posted message in place; what cannot be edited (an upload, an ephemeral
        answer, a new file) is posted anew instead, so nothing is lost."""
        if sent.extra.get("kind") != "message" or reply.attachment is not None:
            await self.send(sent.place, reply, answering=answering)
            return
        notes = tuple(n for n in (asker_note(_asker(answering)),) if n)
        channel = sent.extra.get("channel", sent.place.room_id)
        async with self._pacer.turn(channel):
            await self._client.chat_update(
                channel=channel,
                ts=sent.id,
                text=fallback_text(reply),
                blocks=kept_image(blocks(reply, notes=notes), sent.extra.get("image")),
            )

    async def _post(
        self,
        place: Place,
        reply: Reply,
        notes: tuple[str, ...],
        key: str | None = None,
        *,
        image: str | None = None,
    ) -> SentMessage:
        async with self._pacer.turn(place.room_id):
            answer = await self._client.chat_postMessage(
                channel=place.room_id,
                thread_ts=place.thread_id,
                text=fallback_text(reply),
                blocks=blocks(reply, notes=notes, image=image),
                unfurl_links=False,
                unfurl_media=False,
                metadata=key_metadata(key) if key is not None else None,
            )
        extra = {"kind": "message", "channel": str(answer.get("channel") or place.room_id)}
        if image is not None:
            extra["image"] = image  # an edit keeps showing the picture
        return SentMessage(place, str(answer["ts"]), extra)

    async def _ephemeral(self, place: Place, reply: Reply, asker: Asker | None) -> SentMessage:
        if asker is None:
            raise PrivateReplyError(f"a private reply to {place.room_id} has no asker")
        notes: tuple[str, ...] = ()
        if reply.attachment is not None:
            # An upload would be seen by the whole channel: the asker gets a link instead.
            notes = (await self._link(reply.attachment, "only you can see this link"),)
        try:
            async with self._pacer.turn(place.room_id):
                answer = await self._client.chat_postEphemeral(
                    channel=place.room_id,
                    user=asker.user_id,
                    thread_ts=place.thread_id,
                    text=fallback_text(reply),
                    blocks=blocks(reply, notes=notes),
                )
        except SlackApiError as error:
            if error_code(error) in CHANNEL_ERRORS and asker.response_url:
                return await self._respond(place, reply, asker, hint=None)
            raise
        return SentMessage(place, str(answer.get("message_ts", "")), {"kind": "ephemeral"})

    async def _respond(
        self, place: Place, reply: Reply, asker: Asker, *, hint: str | None
    ) -> SentMessage:
        """Answer through the command's response_url: seen by the asker alone, and possible
        where the bot is not a member."""
        assert asker.response_url is not None
        notes = tuple(n for n in (hint,) if n)
        if reply.attachment is not None:
            notes += (await self._link(reply.attachment, "only you can see this link"),)
        webhook = AsyncWebhookClient(asker.response_url, retry_handlers=self._retry_handlers)
        answer = await webhook.send(
            text=fallback_text(reply),
            blocks=blocks(reply, notes=notes),
            response_type="ephemeral",
            replace_original=False,
        )
        if answer.status_code != 200:
            raise SlackClientError(f"response_url answered {answer.status_code}: {answer.body}")
        return SentMessage(place, "", {"kind": "response"})

    async def _share_file(
        self,
        place: Place,
        reply: Reply,
        attachment: Attachment,
        notes: tuple[str, ...],
        key: str | None = None,
    ) -> SentMessage:
        length = (await asyncio.to_thread(attachment.path.stat)).st_size
        if length > self._upload_limit:
            reason = f"{size(length)}, over the {size(self._upload_limit)} Slack upload limit"
            link = await self._link(attachment, reason)
            return await self._post(place, reply, (*notes, link), key)
        # An automatic post (it has a key) must be findable, threadable and editable: its
        # picture is shown inside a message. A person's snapshot stays a shared file.
        inline = key is not None and shows_inline(attachment)
        # A shared file cannot carry metadata: its name carries the key for `find`.
        name = marked_filename(attachment.filename, key) if key and not inline else None
        try:
            if inline:
                return await self._show_image(place, reply, attachment, notes, key)
            return await self._share(place, reply, attachment, notes, name)
        except SlackApiError as error:
            if error_code(error) in CHANNEL_ERRORS:
                raise
            log.warning("upload refused file=%s error=%s", attachment.filename, error_code(error))
            reason = "Slack did not accept the upload"
        except UploadFailed as error:
            log.warning("upload failed file=%s error=%s", attachment.filename, error)
            reason = "the upload to Slack failed"
        link = await self._link(attachment, reason)
        return await self._post(place, reply, (*notes, link), key)

    async def _show_image(
        self,
        place: Place,
        reply: Reply,
        attachment: Attachment,
        notes: tuple[str, ...],
        key: str | None,
    ) -> SentMessage:
        """The reply as one message showing the uploaded picture: it can be threaded
        under, edited and found by its key like any other."""
        file_id = await upload(self._client, attachment, attachment.filename)
        # Completed without a channel: the file is shared by the message that shows it.
        await self._client.files_completeUploadExternal(
            files=[{"id": file_id, "title": reply.title or attachment.filename}]
        )
        for wait in (*self._image_waits, None):
            try:
                return await self._post(place, reply, notes, key, image=file_id)
            except SlackApiError as error:
                if not unprocessed_file(error):
                    raise
                if wait is None:
                    break
                await asyncio.sleep(wait)
        log.warning("image not accepted in a message file=%s: shared instead", file_id)
        sent = await self._post(place, reply, notes, key)
        under = place.in_thread(place.thread_id or sent.id)
        try:
            await self._share(under, Reply("", title=reply.title), attachment, (), None)
        except (SlackApiError, UploadFailed) as error:
            log.warning("sharing the picture failed file=%s error=%r", attachment.filename, error)
        return sent

    async def _share(
        self,
        place: Place,
        reply: Reply,
        attachment: Attachment,
        notes: tuple[str, ...],
        name: str | None,
    ) -> SentMessage:
        """The file shared into the conversation, the reply as its comment."""
        file_id = await upload(self._client, attachment, name or attachment.filename)
        async with self._pacer.turn(place.room_id):
            await self._client.files_completeUploadExternal(
                files=[{"id": file_id, "title": reply.title or attachment.filename}],
                channel_id=place.room_id,
                thread_ts=place.thread_id,
                initial_comment=comment_text(reply, notes=notes),
            )
        if follow_up := follow_up_blocks(reply):
            # A file's comment cannot carry buttons: they follow in a message of their own
            # (without the key: `find` must name the file, not these buttons).
            async with self._pacer.turn(place.room_id):
                await self._client.chat_postMessage(
                    channel=place.room_id,
                    thread_ts=place.thread_id,
                    text=f"More for {reply.title or attachment.filename}",
                    blocks=follow_up,
                )
        extra = {"kind": "file", "file": file_id, "channel": place.room_id}
        # A reply in a thread cannot start one (Slack threads one level deep); at the top
        # level the share's own ts is what a thread hangs under.
        ts = None
        if place.thread_id is None:
            ts = await share_ts(self._client, file_id, place.room_id, self._share_waits)
        if ts is None:
            return SentMessage(place, file_id, {**extra, "threadable": "no"})
        return SentMessage(place, ts, extra)

    async def _link(self, attachment: Attachment, reason: str) -> str:
        url = await asyncio.to_thread(self._links.url_for, attachment.path)
        return link_note(attachment, url, reason)
