// sessiongen studio: the live preview, voice and bed previews, progress over server-sent events.
// Everything is asked of this same studio (its own loopback address); nothing is fetched from anywhere else.
"use strict";
(function () {
  const csrf = document.body.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const clock = (s) => { s = Math.round(s); const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0"); };

  function post(url, form) {
    return fetch(url, { method: "POST", body: new FormData(form), headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" });
  }

  function showError(form, field, message) {
    form.querySelectorAll(".error").forEach((p) => { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    if (!message) return;
    const box = $("err-" + field) || $("err-technique_1");
    box.textContent = message; box.hidden = false;
    const input = form.querySelector("[name='" + field + "']");
    if (input) input.setAttribute("aria-invalid", "true");
  }

  function personalFields(declared, form) {
    const holder = $("personal-fields");
    const have = Array.from(holder.querySelectorAll("input")).map((i) => i.name.slice(4));
    const want = declared.map((d) => d[0]);
    if (have.join() === want.join()) return;
    const old = {}; holder.querySelectorAll("input").forEach((i) => { old[i.name] = i.value; });
    holder.textContent = "";
    declared.forEach(([name, fallback]) => {
      const div = document.createElement("div"); div.className = "field";
      const label = document.createElement("label"); label.htmlFor = "var_" + name;
      label.textContent = (name.charAt(0).toUpperCase() + name.slice(1)).replace(/_/g, " ");
      const input = document.createElement("input"); input.id = input.name = "var_" + name;
      input.placeholder = fallback; input.value = old["var_" + name] || ""; input.dataset.preview = "";
      input.setAttribute("aria-describedby", "err-personal"); input.addEventListener("change", () => schedule(form));
      div.append(label, input); holder.append(div);
    });
  }

  function showPlan(data, form) {
    $("preview-facts").hidden = false;
    $("pv-length").textContent = clock(data.duration_s);
    $("pv-range").textContent = clock(data.range_s[0]) + " to " + clock(data.range_s[1]);
    $("pv-chapters").textContent = data.chapters.length;
    $("range-hint").textContent = "This session can be from " + clock(data.range_s[0]) + " to " + clock(data.range_s[1]) + ".";
    const img = $("preview-image"); img.src = data.image; img.hidden = false;
    img.alt = "Timeline of " + data.title + ": " + data.chapters.map((c) => c.title).join(", ");
    const list = $("preview-transcript"); list.textContent = "";
    data.transcript.forEach((cue) => {
      const li = document.createElement("li"); li.className = cue.kind;
      const t = document.createElement("span"); t.className = "time"; t.textContent = clock(cue.start_s);
      li.append(t, " " + cue.text); list.append(li);
    });
    personalFields(data.declared, form);
  }

  let timer = null, asked = 0;
  function schedule(form) { clearTimeout(timer); timer = setTimeout(() => preview(form), 400); }
  async function preview(form) {
    if (!$("technique_1").value) return;
    const mine = ++asked;
    $("preview-status").textContent = "Updating the preview…";
    try {
      const data = await (await post("/compose/preview", form)).json();
      if (mine !== asked) return;
      if (!data.ok) { showError(form, data.field, data.error); $("preview-status").textContent = "The preview waits for the field marked in red."; return; }
      showError(form, "", ""); showPlan(data, form);
      $("preview-status").textContent = "Preview of " + data.title + ", " + clock(data.duration_s) + ".";
      $("bls-fields").disabled = !data.has_bilateral; $("bls-none").hidden = data.has_bilateral;
      document.body.dataset.previewed = String(mine);
    } catch (e) { $("preview-status").textContent = "The preview could not be made (is the studio still running?)."; }
  }

  async function hear(button, url, form) {
    const audio = $(button.dataset.audio);
    button.disabled = true; const label = button.textContent; button.textContent = "Preparing…";
    try {
      const response = await post(url, form);
      if (!response.ok) { const data = await response.json(); showError(form, data.field, data.error); return; }
      audio.src = URL.createObjectURL(await response.blob()); audio.hidden = false; audio.play().catch(() => {});
    } finally { button.disabled = false; button.textContent = label; }
  }

  function compose() {
    const form = $("compose"); if (!form) return;
    form.querySelectorAll("[data-preview]").forEach((el) => el.addEventListener("change", () => schedule(form)));
    $("bls_rate").addEventListener("input", (e) => { const v = parseFloat(e.target.value);
      showError(form, v > 2 ? "bls_rate" : "", v > 2 ? "--bls-rate must be at most 2 cycles a second" : ""); });
    $("hear-voice").addEventListener("click", (e) => hear(e.target, "/compose/voice-preview", form));
    $("hear-bed").addEventListener("click", (e) => hear(e.target, "/compose/bed-preview", form));
    preview(form);
  }

  function follow() {
    const box = $("job"); if (!box || (box.dataset.kind === "batch" && !box.dataset.live)) return;
    const source = new EventSource("/jobs/" + box.dataset.job + "/events");
    source.onmessage = (event) => {
      const job = JSON.parse(event.data);
      if (job.kind === "render") {
        const bar = $("progress"); bar.value = Math.round(job.fraction * 100); bar.textContent = bar.value + " %";
        $("job-status").textContent = job.status === "running" ? "Rendering… " + bar.value + " %" : job.status === "queued" ? "Waiting for a free worker…" : job.status;
      } else {
        Object.entries(job.rows).forEach(([row, state]) => {
          const tr = document.querySelector("tr[data-row='" + row + "']"); if (!tr) return;
          tr.querySelector(".status").textContent = state.status; const bar = tr.querySelector("progress"); if (bar) bar.value = Math.round(state.fraction * 100);
          tr.querySelector(".problem").textContent = state.error || "";
        });
        $("job-status").textContent = job.status === "running" ? "Rendering…" : job.status;
      }
      if (["done", "failed", "cancelled"].includes(job.status)) {
        source.close();
        if (job.error && $("job-error")) { $("job-error").textContent = job.error; $("job-error").hidden = false; }
        if ($("cancel-form")) $("cancel-form").hidden = true;
        if (job.status === "done" || job.kind === "batch") window.location.assign(job.kind === "render" ? box.dataset.done : "/batch/" + job.id);
      }
    };
  }

  async function technique() {
    const box = $("technique"); if (!box) return;
    try {
      const data = await (await fetch("/techniques/" + box.dataset.technique + "/plan", { credentials: "same-origin" })).json();
      $("range").textContent = data.ok ? "It can be from " + clock(data.range_s[0]) + " to " + clock(data.range_s[1]) + "." : data.error;
    } catch (e) { $("range").textContent = ""; }
  }

  document.addEventListener("DOMContentLoaded", () => { compose(); follow(); technique(); });
})();
