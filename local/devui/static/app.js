// The channel page's script: draws a Slack channel from what the dev server's Slack side
// (package devui) says the bot posted, and turns what a person does — send, click,
// submit — into requests that package turns into what Slack would send. Every node is
// built with textContent: nothing from the bot or a person is ever parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const S = { config: null, user: "", channel: "", items: new Map(), source: null, view: null, unread: new Set() };

function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") n.className = v;
    else if (k === "text") n.textContent = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error || ("HTTP " + resp.status));
  return data;
}

// ---- mrkdwn: Slack's markup, rendered as nodes ----

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
const decode = (s) => s.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);

function userName(id) {
  if (S.config && id === S.config.bot.id) return S.config.bot.name;
  const u = S.config && S.config.users.find((x) => x.id === id);
  return u ? u.name : id;
}

function channelName(id) {
  const c = S.config && S.config.channels.find((x) => x.id === id);
  return c ? c.name : id;
}

// angle renders Slack's <…> markup: mentions, channels, special mentions, links.
function angle(inner) {
  const [target, label] = splitOnce(inner, "|");
  // A user mention shows the person's name, never its label: a label cannot forge a name.
  if (target.startsWith("@")) return el("span", { class: "mention", text: "@" + userName(target.slice(1)) });
  if (target.startsWith("#")) return el("span", { class: "mention", text: "#" + (label || channelName(target.slice(1))) });
  if (target.startsWith("!")) {
    const name = target.slice(1).split("^")[0];
    if (name === "date") return document.createTextNode(decode(label || ""));
    return el("span", { class: "mention", text: "@" + (label || name) });
  }
  if (/^(https?:|mailto:)/i.test(target)) {
    return el("a", { href: decode(target), target: "_blank", rel: "noopener noreferrer", text: decode(label || target) });
  }
  return document.createTextNode(decode("<" + inner + ">"));
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

// Inline spans: `code`, <markup>, *bold*, _italic_, ~strike~ — the earliest wins; a
// formatting mark counts only at a word boundary, as in Slack.
const INLINE = [
  { re: /`([^`\n]+)`/, make: (m) => el("code", { text: decode(m[1]) }) },
  { re: /<([^<>\n]+)>/, make: (m) => angle(m[1]) },
  { re: /(^|[\s(\["'])\*([^*\n]+)\*(?=$|[\s.,!?;:)\]"'])/, tag: "b" },
  { re: /(^|[\s(\["'])_([^_\n]+)_(?=$|[\s.,!?;:)\]"'])/, tag: "i" },
  { re: /(^|[\s(\["'])~([^~\n]+)~(?=$|[\s.,!?;:)\]"'])/, tag: "s" },
];

function inline(s) {
  const out = [];
  while (s) {
    let best = null;
    for (const rule of INLINE) {
      const m = rule.re.exec(s);
      if (!m) continue;
      const start = m.index + (rule.tag ? m[1].length : 0);
      if (!best || start < best.start) best = { rule, m, start };
    }
    if (!best) { out.push(document.createTextNode(decode(s))); break; }
    const { rule, m, start } = best;
    if (start > 0) out.push(document.createTextNode(decode(s.slice(0, start))));
    out.push(rule.tag ? el(rule.tag, {}, inline(m[2])) : rule.make(m));
    s = s.slice(m.index + m[0].length);
  }
  return out;
}

// mrkdwn renders a text object's mrkdwn: ``` blocks, > quotes, • and 1. lists, lines.
function mrkdwn(text) {
  const frag = el("div", { class: "mrkdwn-text" });
  const lines = text.split("\n");
  let para = null;
  const line = (nodes) => {
    if (!para) { para = el("div"); frag.append(para); } else para.append(el("br"));
    para.append(...nodes);
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("```")) {
      const body = [l.slice(3)];
      while (!body[body.length - 1].endsWith("```") && i + 1 < lines.length) body.push(lines[++i]);
      const joined = body.join("\n");
      frag.append(el("pre", { text: decode(joined.endsWith("```") ? joined.slice(0, -3) : joined) }));
      para = null;
      continue;
    }
    const quote = /^(&gt;|>) ?(.*)$/.exec(l);
    if (quote) {
      frag.append(el("blockquote", {}, inline(quote[2])));
      para = null;
      continue;
    }
    const bullet = /^\s*([•◦▪\-]) (.*)$/.exec(l), numbered = /^\s*(\d+)\. (.*)$/.exec(l);
    if (bullet || numbered) {
      const tag = bullet ? "ul" : "ol";
      let list = frag.lastElementChild;
      if (!list || list.tagName.toLowerCase() !== tag || para) { list = el(tag, { class: "mrkdwn" }); frag.append(list); }
      list.append(el("li", {}, inline((bullet || numbered)[2])));
      para = null;
      continue;
    }
    line(inline(l));
  }
  return frag;
}

function textObject(t, cls) {
  if (!t) return null;
  if (t.type === "mrkdwn") return el("div", { class: cls }, mrkdwn(t.text || ""));
  return el("div", { class: cls, text: t.text || "" });
}

// ---- Block Kit ----

function renderBlocks(blocks, ctx) {
  return (blocks || []).map((b) => renderBlock(b, ctx)).filter(Boolean);
}

function renderBlock(b, ctx) {
  switch (b.type) {
    case "header": return el("div", { class: "block header", role: "heading", "aria-level": "3", text: (b.text && b.text.text) || "" });
    case "divider": return el("hr", { class: "block divider" });
    case "context":
      return el("div", { class: "block context" }, (b.elements || []).map((e) =>
        e.type === "image" ? el("span", { text: "[" + (e.alt_text || "image") + "]" }) : textObject(e, "ctx")));
    case "section": {
      const main = el("div", { class: "section-main" }, textObject(b.text, "section-text"));
      if (b.fields) main.append(el("div", { class: "fields" }, b.fields.map((f) => textObject(f, "field"))));
      const acc = b.accessory && b.accessory.type === "button" ? button(b.accessory, b.block_id, ctx) : null;
      return el("div", { class: "block section" }, main, acc);
    }
    case "actions":
      return el("div", { class: "block actions", role: "group" }, (b.elements || []).map((e) =>
        e.type === "button" ? button(e, b.block_id, ctx) : el("span", { text: "[" + e.type + "]" })));
    case "input": return ctx.modal ? inputBlock(b, ctx) : null;
    default: return el("div", { class: "block", text: "[" + b.type + " block]" });
  }
}

function button(e, blockID, ctx) {
  const text = (e.text && e.text.text) || "";
  const cls = "btn" + (e.style ? " " + e.style : "");
  const b = el("button", { type: "button", class: cls, "data-action-id": e.action_id, text });
  b.addEventListener("click", async () => {
    if (e.confirm && !(await confirmDialog(e.confirm, e.style))) return;
    if (e.url) window.open(e.url, "_blank", "noopener,noreferrer");
    if (ctx.onClick) ctx.onClick(b, e);
  });
  return b;
}

function confirmDialog(c, style) {
  return new Promise((resolve) => {
    const d = $("confirm");
    $("confirm-title").textContent = (c.title && c.title.text) || "Are you sure?";
    $("confirm-text").replaceChildren(textObject(c.text, "confirm-body") || "");
    const ok = $("confirm-ok"), deny = $("confirm-deny");
    ok.textContent = (c.confirm && c.confirm.text) || "Yes";
    deny.textContent = (c.deny && c.deny.text) || "Cancel";
    ok.className = "btn " + ((c.style || style) === "danger" ? "danger-ok" : "primary");
    const done = (v) => { ok.onclick = deny.onclick = d.oncancel = null; d.close(); resolve(v); };
    ok.onclick = () => done(true);
    deny.onclick = () => done(false);
    d.oncancel = (ev) => { ev.preventDefault(); done(false); };
    d.showModal();
    deny.focus();
  });
}

// ---- messages ----

function authorOf(it) {
  if (it.kind === "slackbot") return { name: "Slackbot", cls: "slackbot", app: false };
  if (it.kind === "bot") return { name: S.config.bot.name, cls: "bot", app: true };
  return { name: userName(it.author), cls: "user", app: false };
}

function timeOf(ts) {
  const d = new Date(parseFloat(ts) * 1000);
  return new Intl.DateTimeFormat(S.config.locale === "ko" ? "ko-KR" : "en-GB",
    { hour: "2-digit", minute: "2-digit", timeZone: S.config.timezone }).format(d);
}

function renderItem(it) {
  const who = authorOf(it);
  const meta = el("div", { class: "meta" },
    el("span", { class: "name", text: who.name }), who.app ? el("span", { class: "app-tag", text: "APP" }) : null,
    el("time", { datetime: new Date(parseFloat(it.ts) * 1000).toISOString(), text: timeOf(it.ts) }),
    it.edited ? el("span", { class: "edited", text: "(edited)" }) : null,
    it.thread_ts && it.thread_ts !== it.ts ? el("span", { class: "thread", text: "replied in a thread" }) : null);
  const body = el("div", { class: "body" });
  if (it.to) body.append(el("span", { class: "only-you", text: "Only visible to you" }));
  if (it.kind === "command") body.append(el("div", { class: "command-echo", text: it.text }));
  else if (it.blocks && it.blocks.length) body.append(...renderBlocks(it.blocks, { onClick: (b, e) => click(it, b, e) }));
  else body.append(mrkdwn(it.text || ""));
  const art = el("article", { class: "msg" + (it.to ? " ephemeral" : ""), "data-id": it.id, "data-seq": it.seq,
    "aria-label": who.name + (it.to ? ", only visible to you" : "") },
  el("div", { class: "avatar " + who.cls, "aria-hidden": "true", text: who.name.slice(0, 1).toUpperCase() }),
  el("div", {}, meta, body));
  return art;
}

function upsert(it) {
  if (it.channel !== S.channel) {
    S.unread.add(it.channel);
    drawChannels();
    return;
  }
  const box = $("messages");
  const old = box.querySelector(`[data-id="${CSS.escape(it.id)}"]`);
  if (it.deleted) { if (old) old.remove(); S.items.delete(it.id); return; }
  S.items.set(it.id, it);
  const node = renderItem(it);
  const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  if (old) old.replaceWith(node);
  else {
    const next = [...box.children].find((c) => Number(c.dataset.seq) > it.seq);
    box.insertBefore(node, next || null);
    $("messages").querySelector(".empty")?.remove();
  }
  if (stick || !old) box.scrollTop = box.scrollHeight;
}

async function click(it, b, e) {
  b.disabled = true;
  try {
    await api("POST", "/_ui/click", { user: S.user, message: it.id, action_id: e.action_id, value: e.value || "" });
    hint("");
  } catch (err) {
    hint("The click failed: " + err.message);
  } finally {
    b.disabled = false;
  }
}

function hint(text) { $("hint").textContent = text || defaultHint(); }
function defaultHint() {
  return "Enter sends, Shift+Enter adds a line. Commands: " + S.config.commands.join(", ") + " · mention @" + S.config.bot.name;
}

// ---- modals ----

function inputBlock(b, ctx) {
  const id = "in-" + b.block_id, e = b.element || {};
  const label = (b.label && b.label.text) || "";
  const errID = "err-" + b.block_id;
  let control;
  const common = { id, "data-block": b.block_id, "data-action": e.action_id, "aria-describedby": errID };
  if (e.type === "plain_text_input") {
    const attrs = { ...common, placeholder: e.placeholder && e.placeholder.text, maxlength: e.max_length || null };
    control = e.multiline ? el("textarea", { ...attrs, rows: "3" }) : el("input", { ...attrs, type: "text" });
    control.value = e.initial_value || "";
  } else if (e.type === "static_select") {
    control = el("select", common, el("option", { value: "", text: (e.placeholder && e.placeholder.text) || "Select" }),
      (e.options || []).map((o) => el("option", { value: o.value, text: (o.text && o.text.text) || o.value })));
    if (e.initial_option) control.value = e.initial_option.value;
  } else if (e.type === "radio_buttons") {
    control = el("div", { role: "radiogroup", "aria-labelledby": id + "-label", "data-block": b.block_id, "data-action": e.action_id, "data-radio": "1" },
      (e.options || []).map((o, i) => el("label", {}, el("input", { type: "radio", name: id, value: o.value, id: id + "-" + i }), " " + ((o.text && o.text.text) || o.value))));
  } else {
    control = el("span", { text: "[" + e.type + "]" });
  }
  return el("div", { class: "input-block", "data-block-id": b.block_id, "data-optional": b.optional ? "1" : "" },
    e.type === "radio_buttons" ? el("span", { class: "label", id: id + "-label", text: label })
      : el("label", { for: id }, label, b.optional ? el("span", { class: "optional", text: " (optional)" }) : null),
    control, b.hint ? el("div", { class: "hint-text", text: b.hint.text }) : null,
    el("p", { class: "field-error", id: errID, role: "alert" }));
}

function showView(v) {
  S.view = v;
  const d = $("modal");
  $("modal-title").textContent = (v.title && v.title.text) || "";
  $("modal-submit").textContent = (v.submit && v.submit.text) || "Submit";
  $("modal-submit").hidden = !v.submit;
  $("modal-close").textContent = (v.close && v.close.text) || "Cancel";
  $("modal-error").textContent = "";
  $("modal-body").replaceChildren(...renderBlocks(v.blocks && v.blocks.length !== undefined ? v.blocks : [], { modal: true }));
  if (!d.open) d.showModal();
  const first = d.querySelector(".modal-body input, .modal-body select, .modal-body textarea");
  if (first) first.focus();
}

function hideView() {
  S.view = null;
  if ($("modal").open) $("modal").close();
}

function viewValues() {
  const values = {};
  for (const c of $("modal-body").querySelectorAll("[data-block]")) {
    let v = c.value;
    if (c.dataset.radio) { const r = c.querySelector("input:checked"); v = r ? r.value : ""; }
    (values[c.dataset.block] ||= {})[c.dataset.action] = v || "";
  }
  return values;
}

// checkRequired does what Slack's client does before sending a modal: a required field
// left empty is refused in place.
function checkRequired(values) {
  let ok = true;
  for (const blk of $("modal-body").querySelectorAll(".input-block")) {
    const vals = Object.values(values[blk.dataset.blockId] || {});
    if (!blk.dataset.optional && !vals.some(Boolean)) {
      fieldError(blk.dataset.blockId, "Please complete this required field.");
      ok = false;
    }
  }
  return ok;
}

function fieldError(blockID, msg) {
  const p = $("err-" + blockID);
  if (!p) return false;
  p.textContent = msg;
  p.parentElement.classList.toggle("invalid", Boolean(msg));
  return true;
}

async function submitView(ev) {
  ev.preventDefault();
  if (!S.view) return;
  for (const p of $("modal-body").querySelectorAll(".field-error")) fieldError(p.id.slice(4), "");
  $("modal-error").textContent = "";
  const values = viewValues();
  if (!checkRequired(values)) return;
  $("modal-submit").disabled = true;
  try {
    const r = await api("POST", "/_ui/submit", { user: S.user, view: S.view.id, values });
    if (r.errors) {
      for (const [block, msg] of Object.entries(r.errors)) if (!fieldError(block, msg)) $("modal-error").textContent = msg;
    } else if (r.view) showView(r.view);
    else hideView();
  } catch (err) {
    $("modal-error").textContent = err.message;
  } finally {
    $("modal-submit").disabled = false;
  }
}

// ---- channels, users, the stream ----

function drawChannels() {
  $("channels").replaceChildren(...S.config.channels.map((c) => el("li", {},
    el("button", { type: "button", "aria-current": c.id === S.channel ? "true" : "false",
      class: S.unread.has(c.id) ? "unread" : "", onclick: () => selectChannel(c.id), text: "# " + c.name }))));
}

function remember() {
  const q = new URLSearchParams({ user: S.user, channel: S.channel });
  history.replaceState(null, "", "?" + q.toString());
}

async function selectChannel(id) {
  S.channel = id;
  S.unread.delete(id);
  drawChannels();
  remember();
  const name = channelName(id);
  $("channel-title").textContent = "#" + name;
  $("message").placeholder = "Message #" + name;
  await loadState();
}

async function selectUser(id) {
  S.user = id;
  $("user").value = id;
  delete document.body.dataset.user;
  remember();
  connect();
  await loadState();
  document.body.dataset.user = id;
}

async function loadState() {
  const st = await api("GET", `/_ui/state?user=${encodeURIComponent(S.user)}&channel=${encodeURIComponent(S.channel)}`);
  S.items.clear();
  $("messages").replaceChildren();
  if (!st.items.length) $("messages").append(el("p", { class: "empty", text: "No messages yet. Try /order-update iced americano" }));
  for (const it of st.items) upsert(it);
  if (st.view) showView(st.view); else hideView();
}

function connect() {
  if (S.source) S.source.close();
  const src = new EventSource("/_ui/events?user=" + encodeURIComponent(S.user));
  S.source = src;
  let first = true;
  document.body.dataset.live = "0";
  src.onopen = () => { if (!first) loadState(); first = false; document.body.dataset.live = "1"; };
  src.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === "item") upsert(e.item);
    else if (e.type === "view") showView(e.view);
    else if (e.type === "view_closed") hideView();
    else if (e.type === "channels") { S.config.channels = e.channels; drawChannels(); }
  };
}

async function sendMessage(ev) {
  if (ev) ev.preventDefault();
  const box = $("message"), text = box.value;
  if (!text.trim()) return;
  box.value = "";
  $("send").disabled = true;
  try {
    await api("POST", "/_ui/send", { user: S.user, channel: S.channel, text });
    hint("");
  } catch (err) {
    box.value = text;
    hint("Not sent: " + err.message);
  } finally {
    $("send").disabled = false;
    box.focus();
  }
}

async function addChannel(ev) {
  ev.preventDefault();
  try {
    const c = await api("POST", "/_ui/channels", { name: $("new-channel").value });
    $("channel-error").textContent = "";
    $("new-channel").value = "";
    if (!S.config.channels.some((x) => x.id === c.id)) S.config.channels.push(c);
    await selectChannel(c.id);
  } catch (err) {
    $("channel-error").textContent = err.message;
  }
}

function offsetText(seconds) {
  const sign = seconds < 0 ? "−" : "+", a = Math.abs(seconds);
  return "UTC" + sign + String(Math.floor(a / 3600)).padStart(2, "0") + ":" + String((a % 3600) / 60).padStart(2, "0");
}

async function main() {
  S.config = await api("GET", "/_ui/config");
  const c = S.config;
  $("env").textContent = `Locale: ${c.locale} · Time zone: ${c.timezone} (${offsetText(c.offsetSeconds)})`;
  $("messages").lang = c.locale;
  $("user").replaceChildren(...c.users.map((u) => el("option", { value: u.id, text: u.name })));
  $("user").addEventListener("change", () => selectUser($("user").value));
  $("composer").addEventListener("submit", sendMessage);
  $("message").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) sendMessage(ev);
  });
  $("add-channel").addEventListener("submit", addChannel);
  $("modal-form").addEventListener("submit", submitView);
  $("modal-close").addEventListener("click", () => { const v = S.view; hideView(); if (v) api("POST", "/_ui/dismiss", { user: S.user, view: v.id }); });
  $("modal").addEventListener("cancel", (ev) => { ev.preventDefault(); $("modal-close").click(); });
  const q = new URLSearchParams(location.search);
  S.user = c.users.some((u) => u.id === q.get("user")) ? q.get("user") : c.users[0].id;
  S.channel = c.channels.some((x) => x.id === q.get("channel")) ? q.get("channel") : c.channels[0].id;
  $("user").value = S.user;
  hint("");
  connect();
  await selectChannel(S.channel);
  document.body.dataset.user = S.user;
  document.body.dataset.ready = "1";
}

main().catch((err) => hint("The page could not start: " + err.message));
