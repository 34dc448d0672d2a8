/* sessiongen review page: chapter links seek the player; the transcript follows playback.
   Without this script the page still lists chapters and transcript, linking into the audio. */
(function () {
  "use strict";
  var audio = document.getElementById("player");
  var data = document.getElementById("cue-data");
  if (!audio || !data) { return; }
  var type = audio.getAttribute("data-type");
  var cannot = document.getElementById("cannot-play");
  if (type && cannot && !audio.canPlayType(type)) { cannot.hidden = false; }
  document.documentElement.className += " js";
  var cues = JSON.parse(data.textContent);
  var items = document.querySelectorAll("#transcript li.cue");
  var chapters = document.querySelectorAll("a.chapter");
  var box = document.querySelector(".transcript .scroll");
  var follow = document.getElementById("follow");
  var shown = "";

  function activeCues(t) {
    var found = [];
    for (var i = 0; i < cues.length; i++) {
      if (cues[i].start <= t && t < cues[i].end) { found.push(i); }
    }
    return found;
  }

  function mark(element, on) {
    element.classList.toggle("current", on);
    if (on) { element.setAttribute("aria-current", "true"); } else { element.removeAttribute("aria-current"); }
  }

  function reveal(item) {
    if (!box || (follow && !follow.checked)) { return; }
    var top = item.offsetTop, bottom = top + item.offsetHeight;
    if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  function markChapter(t) {
    var current = -1;
    for (var i = 0; i < chapters.length; i++) {
      if (parseFloat(chapters[i].getAttribute("data-start")) <= t + 0.001) { current = i; }
    }
    for (var k = 0; k < chapters.length; k++) { mark(chapters[k], k === current); }
  }

  function highlight() {
    var t = audio.currentTime;
    var now = activeCues(t);
    markChapter(t);
    if (now.join(",") === shown) { return; }
    for (var i = 0; i < items.length; i++) { mark(items[i], now.indexOf(i) >= 0); }
    shown = now.join(",");
    if (now.length) { reveal(items[now[now.length - 1]]); }
  }

  function seek(event) {
    var link = event.target.closest("a.seek");
    if (!link) { return; }
    event.preventDefault();
    audio.currentTime = parseFloat(link.getAttribute("data-start"));
    highlight();
    var playing = audio.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  document.addEventListener("click", seek);
  ["timeupdate", "seeked", "seeking", "loadedmetadata"].forEach(function (name) {
    audio.addEventListener(name, highlight);
  });
  highlight();
})();
