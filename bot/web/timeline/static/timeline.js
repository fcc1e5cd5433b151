// mvbot incident timeline: every camera's clip in step under one scrubber.
// All clips cover the same window, so one position (seconds from its start) places them all;
// the first playable clip leads, the others are nudged back when they drift.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var players = Array.prototype.slice.call(document.querySelectorAll("video.player"));
  var scrubber = document.getElementById("scrubber");
  var clock = document.getElementById("clock");
  var playButton = document.getElementById("play");
  var marks = document.getElementById("marks");
  var DRIFT = 0.25; // seconds a follower may stray before it is put back in step

  var state = { time: 0, playing: false, seeks: 0, players: players, events: data.events };
  window.mvbotTimeline = state;

  function leader() {
    for (var i = 0; i < players.length; i++) {
      if (!players[i].error && players[i].readyState > 0) return players[i];
    }
    return null;
  }

  function show(t) {
    var at = new Date(data.start + t * 1000);
    var local = at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
    clock.textContent = local + " · " + at.toISOString().replace(".000", "");
  }

  function seek(t) {
    t = Math.max(0, Math.min(data.length, t));
    state.time = t;
    state.seeks += 1;
    players.forEach(function (p) {
      if (p.readyState > 0) p.currentTime = t;
    });
    scrubber.value = String(t);
    show(t);
  }

  function play() {
    state.playing = true;
    playButton.textContent = "Pause";
    players.forEach(function (p) {
      p.currentTime = state.time;
      var started = p.play();
      if (started && started.catch) started.catch(function () {});
    });
  }

  function pause() {
    state.playing = false;
    playButton.textContent = "Play";
    players.forEach(function (p) { p.pause(); });
    var lead = leader();
    if (lead) seek(lead.currentTime);
  }

  state.seek = seek;
  state.play = play;
  state.pause = pause;

  playButton.addEventListener("click", function () { (state.playing ? pause : play)(); });
  scrubber.addEventListener("input", function () { seek(parseFloat(scrubber.value)); });

  players.forEach(function (p) {
    // A player that loads after a seek starts where the others are.
    p.addEventListener("loadedmetadata", function () { p.currentTime = state.time; });
    p.addEventListener("ended", function () { if (p === leader()) pause(); });
  });

  function follow() {
    var lead = leader();
    if (!lead || !state.playing || lead.seeking) return;
    state.time = lead.currentTime;
    if (document.activeElement !== scrubber) scrubber.value = String(state.time);
    show(state.time);
    players.forEach(function (p) {
      if (p !== lead && p.readyState > 0 && !p.seeking &&
          Math.abs(p.currentTime - state.time) > DRIFT) {
        p.currentTime = state.time;
      }
    });
  }
  setInterval(follow, 250);

  data.events.forEach(function (e) {
    var mark = document.createElement("button");
    mark.type = "button";
    mark.className = "mark mark-" + e.kind;
    mark.style.left = (data.length > 0 ? (100 * e.offset) / data.length : 0) + "%";
    mark.title = e.camera + ": " + e.text; // text, never markup
    mark.setAttribute("aria-label", mark.title);
    mark.addEventListener("click", function () { seek(e.offset); });
    marks.appendChild(mark);
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.event"), function (b) {
    b.addEventListener("click", function () { seek(parseFloat(b.getAttribute("data-offset"))); });
  });

  show(0);
})();
