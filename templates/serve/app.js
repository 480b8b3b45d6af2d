// The app's only script, served by the app itself (no CDN, no inline script).
// The spec's text is the editor's one state: every form change is sent to the server with
// it, comes back as the new text (comments and key order kept) with validate's answer.
"use strict";
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const $ = (selector) => document.querySelector(selector);

async function post(url, body, method = "POST") {
  return fetch(url, {method, body, headers: {"X-CSRF-Token": csrf()}, credentials: "same-origin"});
}

// Findings go next to the field they concern: the slot of their path, else of the
// nearest field or row above it, else the list under the form.
function slotFor(path) {
  let at = path || "";
  while (at) {
    const slot = document.querySelector(`.field-findings[data-for="${CSS.escape(at)}"]`);
    if (slot) return slot;
    const cut = Math.max(at.lastIndexOf("."), at.lastIndexOf("["));
    at = cut > 0 ? at.slice(0, cut) : "";
  }
  return null;
}

function showAnswer(result) {
  const status = $("#status");
  status.textContent = result.status || (result.ok ? "valid" : "not valid");
  status.className = result.ok ? "" : "bad";
  document.querySelectorAll(".field-findings").forEach((slot) => slot.replaceChildren());
  const rest = [];
  for (const f of result.findings) {
    if (f.severity === "info") continue;
    const slot = slotFor(f.path);
    const item = document.createElement("li");
    item.className = f.severity;
    if (slot) {
      item.textContent = `${f.severity}: ${f.message}`;
      slot.append(item);
    } else {
      item.textContent = `${f.line ? "line " + f.line + " " : ""}${f.path || ""}: ${f.severity}: ${f.message}`;
      rest.push(item);
    }
  }
  $("#findings").replaceChildren(...rest);
}

function editor(main) {
  const name = encodeURIComponent(main.dataset.name);
  const text = $("#spec");
  let savedText = text.value;  // what the file holds: leaving with more asks first
  window.addEventListener("beforeunload", (event) => {
    if (text.value !== savedText || pending.size > 0) event.preventDefault();
  });
  let queue = Promise.resolve();
  const pending = new Map();  // field path -> {value, kind}, not sent yet
  let timer = null;

  // One request at a time, in order: each applies to the text the last one returned.
  const send = (edit, withForm) => {
    queue = queue.then(async () => {
      const response = await post("/api/edit?name=" + name,
        JSON.stringify({text: text.value, edit, form: withForm}));
      const result = await response.json();
      if (!response.ok) { $("#saved").textContent = result.error || "that change was refused"; return; }
      text.value = result.text;
      // Not while the rep is typing: a later change draws the form again.
      if (result.form && pending.size === 0) swapForm(result.form);
      showAnswer(result);
      refreshPreview(result.ok);
    }).catch((error) => { $("#saved").textContent = "the app did not answer: " + error; });
    return queue;
  };
  const flush = () => {
    clearTimeout(timer);
    for (const [path, change] of pending) send({op: "set", path, ...change}, false);
    pending.clear();
  };
  const swapForm = (html) => {
    const focused = document.activeElement && document.activeElement.id;
    const template = document.createElement("template");
    template.innerHTML = html;
    $("#form").replaceWith(template.content.firstElementChild);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  };

  const pane = $("#form-pane");
  pane.addEventListener("input", (event) => {
    const field = event.target;
    if (field === text) return;
    if (!field.dataset.path) return;
    pending.set(field.dataset.path, {value: field.value, kind: field.dataset.kind || "text"});
    clearTimeout(timer);
    timer = setTimeout(flush, 300);
  });
  pane.addEventListener("change", (event) => {
    if (event.target === text || !event.target.dataset.path) return;
    flush();
    send(null, true);  // draw the form anew: clause wording, badges, row names
  });
  pane.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.op) {
      flush();
      send({op: button.dataset.op, path: button.dataset.path,
            delta: Number(button.dataset.delta || 0)}, true);
    } else if (button.dataset.pick) {
      openPicker(button.dataset.pick, button.dataset.side);
    }
  });

  // The text itself: checked as the rep types, the form drawn anew when they leave it.
  let textTimer = null;
  text.addEventListener("input", () => {
    clearTimeout(textTimer);
    textTimer = setTimeout(() => send(null, false), 250);
  });
  text.addEventListener("change", () => send(null, true));

  // The clause picker: the library's clauses of the row's side and the deal's segment.
  const picker = $("#picker");
  const search = $("#picker-search");
  let target = null;
  const filter = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const segment = ($("#f-deal-segment") || {}).value || "";
    let shown = 0;
    picker.querySelectorAll("#picker-list li").forEach((item) => {
      const show = item.dataset.side === target.side &&
        (!segment || item.dataset.segments.split(" ").includes(segment)) &&
        words.every((w) => item.dataset.words.includes(w));
      item.hidden = !show;
      shown += show ? 1 : 0;
    });
    $("#picker-empty").hidden = shown > 0;
  };
  const openPicker = (path, side) => {
    target = {path, side};
    search.value = "";
    filter();
    picker.showModal();
    search.focus();
  };
  search.addEventListener("input", filter);
  $("#picker-close").addEventListener("click", () => picker.close());
  $("#picker-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-clause]");
    if (!button || !target) return;
    picker.close();
    flush();
    send({op: "clause", path: target.path, value: button.dataset.clause}, true);
  });

  // Saving: never over a file that changed on disk since it was opened.
  const save = async (overwrite) => {
    flush();
    await queue;
    const response = await post("/deals/" + name,
      JSON.stringify({text: text.value, etag: main.dataset.etag, overwrite}), "PUT");
    const result = await response.json();
    const conflict = $("#conflict");
    if (response.status === 409) {
      $("#disk").textContent = result.disk;
      main.dataset.diskEtag = result.etag;
      main.dataset.diskText = result.disk;
      conflict.hidden = false;
      $("#saved").textContent = "not saved: the file changed on disk";
      return;
    }
    if (!response.ok) { $("#saved").textContent = "not saved: " + (result.error || response.status); return; }
    conflict.hidden = true;
    main.dataset.etag = result.etag;
    savedText = text.value;
    $("#saved").textContent = "saved " + result.saved;
  };
  $("#save").addEventListener("click", () => save(false));
  $("#keep-mine").addEventListener("click", () => save(true));
  $("#take-disk").addEventListener("click", () => {
    text.value = main.dataset.diskText; main.dataset.etag = main.dataset.diskEtag;
    savedText = text.value;
    $("#conflict").hidden = true;
    send(null, true);
  });
  $("#save-version").addEventListener("click", async () => {
    flush();
    await queue;
    const response = await post("/deals/" + name + "/versions", JSON.stringify({text: text.value}));
    const result = await response.json();
    if (!response.ok) { $("#saved").textContent = "no new version: " + result.error; return; }
    savedText = text.value;  // kept in the new file
    location.href = "/deals/" + encodeURIComponent(result.created);
  });

  // Legal's DOCX: sent as the request's body, compared with the saved file on the server;
  // its page shows the redline and saves it as a new version, if the rep chooses to.
  const upload = $("#upload-docx");
  upload.addEventListener("change", async () => {
    const file = upload.files[0];
    if (!file) return;
    const limit = Number(main.dataset.maxUpload);
    if (file.size > limit) {
      $("#saved").textContent = `${file.name} is larger than ${limit} bytes: it was not uploaded`;
      upload.value = "";
      return;
    }
    $("#saved").textContent = `reading ${file.name}…`;
    upload.disabled = true;
    try {
      const response = await post(`/deals/${name}/absorb?file=${encodeURIComponent(file.name)}`, file);
      const result = await response.json();
      if (response.ok) { location.href = result.url; return; }
      $("#saved").textContent = "not absorbed: " + (result.error || response.status);
    } catch (error) {
      $("#saved").textContent = "the app did not answer: " + error;
    }
    upload.disabled = false;
    upload.value = "";
  });

  // Previews of both editions, of the text as it is now: once one is shown, it follows
  // every change (when the rep pauses), and says so when the text cannot be shown yet.
  const frame = $("#preview");
  const note = $("#preview-note");
  let shown = null;  // the audience of the preview in the frame
  let previewed = null;  // the text it shows
  let previews = Promise.resolve();
  let previewTimer = null;
  const showPreview = (audience) => {
    previews = previews.then(async () => {
      flush();
      await queue;
      const sent = text.value;
      const response = await post("/api/preview?name=" + name,
        JSON.stringify({text: sent, audience}));
      const result = await response.json();
      if (!response.ok) {  // findings to fix, or a document that took too long
        const why = result.error || "fix the findings first";
        if (shown) { stale(why); return; }
        note.textContent = "no preview: " + why;
        return;
      }
      frame.title = `Preview of the ${audience} edition`;
      frame.src = result.url;
      frame.hidden = false;
      shown = audience;
      previewed = sent;
      note.textContent = `The ${audience} edition, as of your last change.`;
      note.className = "";
    }).catch((error) => { note.textContent = "the app did not answer: " + error; });
    return previews;
  };
  const stale = (why) => {
    note.textContent = `Not updated: ${why}. The preview shows the ${shown} edition ` +
      "before your last changes.";
    note.className = "bad";
  };
  const refreshPreview = (valid) => {
    if (!shown || text.value === previewed) return;
    clearTimeout(previewTimer);
    if (!valid) { stale("fix the findings first"); return; }  // no document to make yet
    note.textContent = `Updating the ${shown} edition…`;
    note.className = "";
    previewTimer = setTimeout(() => showPreview(shown), 600);
  };
  document.querySelectorAll("[data-preview]").forEach((button) => {
    button.addEventListener("click", () => {
      clearTimeout(previewTimer);
      showPreview(button.dataset.preview);
    });
  });

  send(null, false);
}

function newDeal(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const response = await post("/new", JSON.stringify(data));
    const result = await response.json();
    if (response.ok) { location.href = "/deals/" + encodeURIComponent(result.created); return; }
    $("#new-result").textContent = result.error || JSON.stringify(result);
  });
  form.querySelector("button").disabled = false;  // the form is ours now
}

// The Track view: each button records one event (with the row's note and evidence file,
// sent as the request body), then the page is drawn again from the journal.
function tracker(main) {
  const name = encodeURIComponent(main.dataset.name);
  const limit = Number(main.dataset.maxBytes);
  const result = $("#track-result");
  main.querySelectorAll("form.record").forEach((form) => {
    // Enter in the note must not record the row's first event ("met") unasked.
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
    });
    const buttons = form.querySelectorAll("button");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const id = form.dataset.id;
      const params = new URLSearchParams({id, event: event.submitter.value});
      const on = $("#on").value;
      const by = $("#by").value.trim();
      const note = form.elements.note.value.trim();
      if (on) params.set("on", on);
      if (by) params.set("by", by);
      if (note) params.set("note", note);
      const file = form.elements.evidence.files[0];
      if (file) {
        if (file.size > limit) {
          result.textContent = `${file.name} is larger than ${limit} bytes: nothing was recorded`;
          return;
        }
        params.set("file", file.name);
      }
      result.textContent = `recording ${id}…`;
      buttons.forEach((b) => { b.disabled = true; });  // one click, one event
      try {
        const response = await post(`/deals/${name}/track?${params}`, file || "");
        const answer = await response.json();
        if (response.ok) { location.reload(); return; }
        result.textContent = answer.error || "refused";
      } catch (error) {
        result.textContent = "the app did not answer: " + error;
      }
      buttons.forEach((b) => { b.disabled = false; });
    });
    buttons.forEach((b) => { b.disabled = false; });  // the form is ours now
  });
}

// Legal's DOCX absorbed: saved only when the rep says so, as the deal's new version.
function absorbed(main) {
  const button = $("#save-absorbed");
  const result = $("#absorb-result");
  button.addEventListener("click", async () => {
    button.disabled = true;  // one click, one version
    result.textContent = "saving…";
    try {
      const response = await post(`/deals/${encodeURIComponent(main.dataset.name)}/absorbed/` +
        encodeURIComponent(main.dataset.key), "");
      const answer = await response.json();
      if (response.ok) { location.href = "/deals/" + encodeURIComponent(answer.created); return; }
      result.textContent = "not saved: " + (answer.error || response.status);
    } catch (error) {
      result.textContent = "the app did not answer: " + error;
    }
    button.disabled = false;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const taken = document.getElementById("absorbed");
  if (taken) absorbed(taken);
  const track = document.getElementById("track");
  if (track) tracker(track);
  const main = document.getElementById("editor");
  if (main) editor(main);
  const form = document.getElementById("new-deal");
  if (form) newDeal(form);
});
