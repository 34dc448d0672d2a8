// sessiongen studio: the voice picker. Filters the voices by language, accent and gender; the arrow
// keys move between them (one Play and one Choose button in the tab order); Play asks this studio
// for the voice's sample (made once, in the background) and plays it; Choose fills the voice field.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const WAIT_MS = 700, PATIENCE_MS = 10 * 60 * 1000;

  function rows() { return Array.from($("voice-list").querySelectorAll("li[data-voice]")); }
  function shown() { return rows().filter((li) => !li.hidden); }
  function about(li) { return li.dataset.name + " (" + li.querySelector(".voice-meta").textContent.split(" · ").slice(0, 2).join(", ") + ")"; }

  function accents() {
    const language = $("voice-language").value, select = $("voice-accent");
    let any = false;
    Array.from(select.options).slice(1).forEach((o) => {
      const fits = !language || o.dataset.language === language; o.hidden = o.disabled = !fits; any = any || fits;
    });
    if (select.selectedOptions[0] && select.selectedOptions[0].disabled) select.value = "";
    select.closest(".field").hidden = !any;
  }

  function filter() {
    const language = $("voice-language").value, accent = $("voice-accent").value, gender = $("voice-gender").value;
    rows().forEach((li) => {
      li.hidden = (language && li.dataset.language !== language) || (accent && li.dataset.tag !== accent) || (gender && li.dataset.gender !== gender);
    });
    const count = shown().length;
    $("voice-count").textContent = count === 1 ? "1 voice" : count + " voices";
    roving(shown().find((li) => li.classList.contains("chosen")) || shown()[0]);
  }

  // one row's buttons are in the tab order; the arrow keys move to the others
  function roving(active) {
    rows().forEach((li) => li.querySelectorAll("button").forEach((b) => { b.tabIndex = li === active ? 0 : -1; }));
  }

  function move(event) {
    const keys = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in keys) || !event.target.matches("button")) return;
    const list = shown(), here = list.indexOf(event.target.closest("li"));
    const next = list[Math.max(0, Math.min(list.length - 1, here + keys[event.key]))];
    if (!next) return;
    event.preventDefault();
    roving(next);
    next.querySelector(event.target.classList.contains("voice-play") ? ".voice-play" : ".voice-choose").focus();
  }

  function choose(li) {
    const field = $("voice");
    field.value = li.dataset.voice;
    mark();
    field.dispatchEvent(new Event("change", { bubbles: true }));  // the compose form's preview follows
    $("voice-status").textContent = "Chose " + about(li) + ".";
  }

  function mark() {
    const value = $("voice").value.trim();
    rows().forEach((li) => {
      const on = li.dataset.voice === value; li.classList.toggle("chosen", on);
      li.querySelector(".voice-choose").setAttribute("aria-pressed", String(on));
    });
  }

  function ask(voice) {
    const body = new FormData(); body.append("voice", voice);
    return fetch("/voices/sample", { method: "POST", body: body, headers: { "X-CSRF-Token": document.body.dataset.csrf }, credentials: "same-origin" });
  }

  async function play(button) {
    const li = button.closest("li"), status = $("voice-status"), audio = $("voice-sample");
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true"); button.querySelector(".label").textContent = "Preparing…";
    status.textContent = "Preparing a sample of " + about(li) + "…";
    const until = Date.now() + PATIENCE_MS;
    try {
      for (;;) {
        const response = await ask(li.dataset.voice), data = await response.json();
        if (data.status === "ready") {
          audio.src = data.url; audio.hidden = false; audio.dataset.voice = li.dataset.voice;
          status.textContent = "Playing " + about(li) + ".";
          audio.play().catch(() => {});  // not awaited: a page that may not play aloud still shows the player
          return;
        }
        if (data.status !== "preparing") { status.textContent = data.error || "The sample could not be made."; return; }
        if (Date.now() > until) { status.textContent = "The sample is taking long: try again in a moment."; return; }
        await new Promise((done) => setTimeout(done, WAIT_MS));
      }
    } catch (e) {
      status.textContent = "The sample could not be fetched (is the studio still running?).";
    } finally {
      button.removeAttribute("aria-busy"); button.querySelector(".label").textContent = "Play";
    }
  }

  function follow(field) {
    // the session's language chosen in the form: show its voices
    const tag = (field.value || "en").split("-")[0].toLowerCase(), filter_ = $("voice-language");
    if (Array.from(filter_.options).some((o) => o.value === tag)) { filter_.value = tag; accents(); filter(); }
  }

  function start() {
    if (!$("voice-picker")) return;
    ["voice-language", "voice-accent", "voice-gender"].forEach((id) => $(id).addEventListener("change", () => { if (id === "voice-language") accents(); filter(); }));
    $("voice-list").addEventListener("keydown", move);
    $("voice-list").addEventListener("click", (event) => {
      const button = event.target.closest("button"); if (!button) return;
      roving(button.closest("li"));
      if (button.classList.contains("voice-play")) play(button); else choose(button.closest("li"));
    });
    $("voice").addEventListener("input", mark);
    const language = document.querySelector("select#language, input#language");
    if (language) language.addEventListener("change", () => follow(language));
    mark(); accents(); filter();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
