// The app's only script, served by the app itself (no CDN, no inline script).
"use strict";
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

async function post(url, body, method = "POST") {
  return fetch(url, {method, body, headers: {"X-CSRF-Token": csrf()}, credentials: "same-origin"});
}

function showFindings(result) {
  const status = document.getElementById("status");
  const list = document.getElementById("findings");
  status.textContent = result.status || (result.ok ? "valid" : "not valid");
  status.className = result.ok ? "" : "bad";
  list.replaceChildren(...result.findings.filter(f => f.severity !== "info").map(f => {
    const item = document.createElement("li");
    item.className = f.severity;
    item.textContent = `${f.line ? "line " + f.line + " " : ""}${f.path || ""}: ${f.severity}: ${f.message}`;
    return item;
  }));
}

function editor(main) {
  const text = document.getElementById("spec");
  let timer = null;
  const check = async () => {
    const response = await post("/api/validate?name=" + encodeURIComponent(main.dataset.name), text.value);
    showFindings((await response.json())[0]);
  };
  text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 250); });
  const save = async (overwrite) => {
    const response = await post("/deals/" + encodeURIComponent(main.dataset.name),
      JSON.stringify({text: text.value, etag: main.dataset.etag, overwrite}), "PUT");
    const result = await response.json();
    const conflict = document.getElementById("conflict");
    if (response.status === 409) {
      document.getElementById("disk").textContent = result.disk;
      main.dataset.diskEtag = result.etag;
      main.dataset.diskText = result.disk;
      conflict.hidden = false;
      return;
    }
    conflict.hidden = true;
    main.dataset.etag = result.etag;
    document.getElementById("status").textContent = "saved; " + document.getElementById("status").textContent;
  };
  document.getElementById("save").addEventListener("click", () => save(false));
  document.getElementById("keep-mine").addEventListener("click", () => save(true));
  document.getElementById("take-disk").addEventListener("click", () => {
    text.value = main.dataset.diskText; main.dataset.etag = main.dataset.diskEtag;
    document.getElementById("conflict").hidden = true; check();
  });
  check();
}

function newDeal(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const response = await post("/new", JSON.stringify(data));
    const result = await response.json();
    if (response.ok) { location.href = "/deals/" + encodeURIComponent(result.created); return; }
    document.getElementById("new-result").textContent = result.error || JSON.stringify(result);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const main = document.getElementById("editor");
  if (main) editor(main);
  const form = document.getElementById("new-deal");
  if (form) newDeal(form);
});
