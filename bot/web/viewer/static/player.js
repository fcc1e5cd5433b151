// mvbot's share player: near-live video over Media Source Extensions, no plug-in.
//
// It polls live.json for the stream's fragmented-MP4 segments and appends each once, in
// "sequence" mode, so segments play back to back whatever their own timestamps. It keeps a
// map from media time to the wall-clock time each segment starts at, to say how far behind
// live the picture is. Its state is in window.mvbotPlayer for anyone (or any test) to read.
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("viewer-config").textContent);
  const video = document.getElementById("player");
  const status = document.getElementById("status");
  const GONE = "This link has expired or was revoked. Ask the person who shared it for a new one.";
  const state = { phase: "starting", behind: null, wall: null, delayed: false, appended: 0 };
  window.mvbotPlayer = state;
  const timeline = []; // {at, end}: media seconds; start: wall-clock ms at `at`
  let source = null;
  let buffer = null;
  let next = null;
  let skew = 0; // server clock minus this browser's
  let live = null;
  let ended = false;

  for (const element of document.querySelectorAll("time[datetime]")) {
    element.textContent = new Date(element.dateTime).toLocaleString(undefined, { timeZoneName: "short" });
  }

  function say(text, tone) {
    status.textContent = text;
    status.dataset.tone = tone || "";
  }

  function finish(text) {
    ended = true;
    state.phase = "gone";
    say(text, "error");
    video.pause();
    video.removeAttribute("src");
    video.load();
  }

  function whenUpdated() {
    return new Promise((resolve, reject) => {
      const done = () => {
        buffer.removeEventListener("updateend", done);
        buffer.removeEventListener("error", failed);
        resolve();
      };
      const failed = () => {
        buffer.removeEventListener("updateend", done);
        buffer.removeEventListener("error", failed);
        reject(new Error("the browser could not decode a segment"));
      };
      buffer.addEventListener("updateend", done);
      buffer.addEventListener("error", failed);
    });
  }

  async function append(data) {
    const updated = whenUpdated();
    buffer.appendBuffer(data);
    await updated;
  }

  async function trim() {
    // Keep half a minute behind the playhead: a long watch must not fill the memory.
    const cut = video.currentTime - 30;
    if (cut > 0 && buffer && !buffer.updating && buffer.buffered.length && buffer.buffered.start(0) < cut) {
      const updated = whenUpdated();
      buffer.remove(0, cut);
      await updated;
    }
  }

  function refused(answer) {
    return answer.status === 410 || answer.status === 404 || answer.status === 403;
  }

  async function feed() {
    const segments = live.segments;
    if (!segments.length || !live.codec) return;
    if (!buffer) {
      buffer = source.addSourceBuffer('video/mp4; codecs="' + live.codec + '"');
      buffer.mode = "sequence";
    }
    if (next === null || next < segments[0].seq) {
      // Start (or, after falling behind, restart) near live with one segment in hand.
      next = segments[Math.max(0, segments.length - 2)].seq;
    }
    for (const segment of segments) {
      if (segment.seq < next || ended) continue;
      const answer = await fetch(segment.url, { cache: "no-store", credentials: "same-origin" });
      if (refused(answer)) return finish(GONE);
      next = segment.seq + 1;
      if (!answer.ok) continue;
      const data = await answer.arrayBuffer();
      const at = buffer.timestampOffset;
      await append(data);
      timeline.push({ at, end: buffer.timestampOffset, start: segment.start });
      state.appended += 1;
    }
    while (timeline.length > 1 && timeline[0].end < video.currentTime - 30) timeline.shift();
    await trim();
    if (video.paused && !ended && video.buffered.length) {
      if (video.currentTime < video.buffered.start(0)) video.currentTime = video.buffered.start(0);
      video.play().catch(() => say("Press play to start the stream.", ""));
    }
  }

  async function poll() {
    if (ended) return;
    try {
      const answer = await fetch(config.live, { cache: "no-store", credentials: "same-origin" });
      if (refused(answer)) return finish(GONE);
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      live = await answer.json();
      skew = live.now - Date.now();
      await feed();
    } catch (error) {
      if (!ended) say("Connection problem (" + error.message + ") — retrying…", "warning");
    }
    // Polling at least once per segment also notices a revoked link within one segment.
    if (!ended) setTimeout(poll, Math.max(1, config.length / 2) * 1000);
  }

  function refresh() {
    if (ended) return;
    const now = video.currentTime;
    const entry = timeline.find((e) => now >= e.at && now < e.end);
    if (entry) {
      state.wall = entry.start + (now - entry.at) * 1000;
      state.behind = (Date.now() + skew - state.wall) / 1000;
    }
    state.delayed = Boolean(live && live.delayed);
    if (!video.paused && video.readyState >= 3) state.phase = "playing";
    else if (state.appended) state.phase = "waiting";
    if (state.delayed) {
      say("Delayed — the video is arriving late; it will catch up.", "warning");
    } else if (live && live.problem) {
      say(live.problem, "warning");
    } else if (state.phase === "playing" && state.behind !== null) {
      say("Live, about " + Math.round(state.behind) + " s behind.", "");
    } else if (state.appended) {
      say("Waiting for the next part of the stream…", "");
    }
  }

  if (!window.MediaSource) {
    // iPhone Safari has no MediaSource but plays HLS itself.
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = config.playlist;
      video.addEventListener("error", () => finish(GONE), { once: true });
      video.play().catch(() => say("Press play to start the stream.", ""));
      say("Live, a minute or so behind.", "");
    } else {
      say("This browser cannot play the stream here; open the playlist below in VLC.", "error");
    }
    return;
  }
  source = new MediaSource();
  video.src = URL.createObjectURL(source);
  source.addEventListener("sourceopen", poll, { once: true });
  setInterval(refresh, 1000);
})();
