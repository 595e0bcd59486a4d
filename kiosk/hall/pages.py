"""The hall server's pages: sign-in, the window clerks' page, the display board and the manager's page.

Server-rendered HTML with a little JavaScript and no build step. The pages call the same JSON API as
every other client (with the sign-in cookie); the board listens to the server-sent event stream and
announces each call with the browser's speech synthesis. Their texts are in the ``hall`` catalogue, Chinese first
and most also in English; what the JavaScript writes is passed to it as a JSON object (``texts``).
"""

from __future__ import annotations

import json
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiosk.errors import KioskError
from kiosk.hall.accounts import Principal, Role
from kiosk.hall.app import COOKIE, HallContext, status_payload
from kiosk.queue.model import EventKind
from kiosk.queue.ratings import Level
from kiosk.queue.wire import WINDOW, EventOut
from kiosk.texts import LANGUAGES, tr

_CSS = """
*{box-sizing:border-box}body{margin:0;font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
background:#f4f6f8;color:#1b1f23}header{display:flex;justify-content:space-between;align-items:center;
padding:12px 24px;background:#0b5394;color:#fff}header h1{margin:0;font-size:26px}main{padding:16px 24px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d0d7de;padding:6px 10px;
text-align:left}th{background:#eaeef2}button{font-size:20px;padding:12px 20px;margin:6px;border:0;
border-radius:8px;background:#0b5394;color:#fff;cursor:pointer}button:disabled{background:#9aa5b1;cursor:default}
button.warn{background:#b45309}button.ok{background:#15803d}.msg{min-height:28px;font-size:18px;color:#b91c1c}
input,select{font-size:18px;padding:8px;margin:4px}.card{background:#fff;border-radius:10px;padding:16px;
margin-bottom:16px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
body.board{background:#0f172a;color:#f8fafc}body.board header{background:#1e3a8a}
.board main{display:grid;grid-template-columns:2fr 1fr;gap:24px}.board table{background:#111827;color:#f8fafc}
.board th{background:#1f2937;font-size:22px}.board td{border-color:#374151}
#calls td{font-size:44px;font-weight:700}#calls tr.fresh td{color:#fde047}#waiting td{font-size:22px}
#announce{position:fixed;bottom:0;left:0;right:0;padding:16px 24px;font-size:34px;background:#1e3a8a;min-height:70px}
#current-number{font-size:96px;font-weight:700;color:#0b5394}.muted{color:#57606a}
.card.alert{border-left:8px solid #b45309}
"""


def _page(title: str, body: str, body_attrs: str = "", script: str = "") -> HTMLResponse:
    html = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
            f"<style>{_CSS}</style></head><body {body_attrs}>{body}"
            + (f"<script>{script}</script>" if script else "") + "</body></html>")
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _json_for_script(value: object) -> str:
    # "</" inside a <script> would end it early.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def _bilingual(key: str, sep: str = " ", **values: object) -> str:
    """``key`` in Chinese, then in English, as plain text."""
    return sep.join(tr(key, lang, **values) for lang in LANGUAGES)


def _both(key: str, sep: str = " ", **values: object) -> str:
    """``key`` in Chinese, then in English, as HTML."""
    return escape(_bilingual(key, sep, **values))


def _zh(key: str, **values: object) -> str:
    """``key`` in Chinese only, as HTML: a column or a title the hall's staff read at a glance."""
    return escape(tr(key, "zh", **values))


def _columns(*keys: str) -> str:
    """A table's header cells, in Chinese."""
    return "".join(f"<th>{_zh(key)}</th>" for key in keys)


def _texts_for_script(texts: dict[str, str]) -> str:
    """The texts a page's JavaScript writes, as the JSON object ``texts`` (``{n}``-style placeholders kept)."""
    return f"<script type='application/json' id='texts'>{_json_for_script(texts)}</script>"


_LOGIN_JS = """
document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target, msg = document.getElementById('msg');
  const body = {username: f.username.value, password: f.password.value};
  if (f.window.value) body.window = f.window.value;
  const r = await fetch('/api/v1/auth/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                               body: JSON.stringify(body), credentials: 'same-origin'});
  const data = await r.json();
  if (!r.ok) { msg.textContent = data.message + ' / ' + data.message_en; return; }
  const next = new URLSearchParams(location.search).get('next');
  location.href = (next && next.startsWith('/')) ? next : (data.role === 'manager' && !data.window ? '/manager' : '/clerk');
});
"""

_BOARD_JS = """
const calls = document.querySelector('#calls tbody');
const announce = document.getElementById('announce');
const limit = Number(document.body.dataset.limit);
const texts = JSON.parse(document.getElementById('texts').textContent);
window.spoken = [];
function speak(text) {
  window.spoken.push(text);
  try {
    if ('speechSynthesis' in window) {
      const u = new SpeechSynthesisUtterance(text);
      u.lang = 'zh-CN'; u.rate = 0.9;
      window.speechSynthesis.speak(u);
    }
  } catch (err) { /* a board without a voice still shows the call */ }
}
function onCall(ev) {
  const d = JSON.parse(ev.data);
  for (const old of calls.querySelectorAll('tr')) {
    old.classList.remove('fresh');
    if (old.dataset.number === d.number) old.remove();
  }
  const tr = document.createElement('tr');
  tr.dataset.number = d.number; tr.dataset.window = d.window; tr.className = 'fresh';
  const num = document.createElement('td'); num.className = 'num'; num.textContent = d.number;
  const win = document.createElement('td'); win.className = 'win'; win.textContent = texts.window.replace('{window}', d.window);
  tr.append(num, win); calls.prepend(tr);
  while (calls.rows.length > limit) calls.deleteRow(calls.rows.length - 1);
  announce.textContent = d.text_zh;
  document.body.dataset.lastEvent = d.id;
  speak(d.text_zh);
}
function onStatus(ev) {
  const d = JSON.parse(ev.data);
  for (const g of d.groups) {
    const cell = document.querySelector(`#waiting tr[data-group="${g.group_id}"] .count`);
    if (cell) cell.textContent = g.waiting;
  }
}
function onDone(ev) {
  const d = JSON.parse(ev.data);
  document.body.dataset.lastEvent = d.id;
}
const source = new EventSource('/api/v1/events/stream?after=' + document.body.dataset.lastEvent);
source.addEventListener('call', onCall);
source.addEventListener('recall', onCall);
source.addEventListener('status', onStatus);
for (const kind of ['served', 'no_show', 'transfer']) source.addEventListener(kind, onDone);
source.onopen = () => { document.body.dataset.connected = '1'; };
function tick() { document.getElementById('clock').textContent = new Date().toLocaleTimeString('zh-CN'); }
tick(); setInterval(tick, 1000);
"""

_CLERK_JS = """
const W = document.body.dataset.window;
const needed = Number(document.body.dataset.recallsNeeded);
const groups = JSON.parse(document.getElementById('group-names').textContent);
const texts = JSON.parse(document.getElementById('texts').textContent);
const msg = document.getElementById('msg');
async function api(method, path, body) {
  const r = await fetch('/api/v1' + path, {method, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'}, body: body ? JSON.stringify(body) : undefined});
  const data = r.status === 204 ? null : await r.json();
  if (!r.ok) { msg.textContent = data.message + ' / ' + data.message_en; throw new Error(data.code); }
  if (method !== 'GET') msg.textContent = '';  // a refresh keeps the last action's message
  return data;
}
function render(w) {
  const t = w.current;
  document.getElementById('current-number').textContent = t ? t.number : '—';
  document.getElementById('current-info').textContent = t
    ? `${groups[t.group_id] || t.group_id} · ${texts.recalls.replace('{n}', w.recalls)}`
      + (t.priority !== 'none' ? ' · ' + texts.priority : '') : texts.no_number;
  document.body.dataset.current = t ? t.number : '';
  for (const id of ['recall', 'serve', 'transfer']) document.getElementById('btn-' + id).disabled = !t;
  document.getElementById('btn-noshow').disabled = !t || w.recalls < needed;
  document.getElementById('served-groups').textContent = w.groups.map(g => groups[g] || g).join('、') || texts.no_services;
}
async function refresh() {
  render(await api('GET', `/windows/${W}`));
  const statuses = await api('GET', '/groups');
  for (const s of statuses) {
    const cell = document.querySelector(`#waiting tr[data-group="${s.group_id}"] .count`);
    if (cell) cell.textContent = s.waiting;
  }
}
async function act(path, body) {
  try { await api('POST', `/windows/${W}/${path}`, body); } catch (err) { /* shown in msg */ }
  await refresh();
}
document.getElementById('btn-call').onclick = async () => {
  let called = null;
  try { called = await api('POST', `/windows/${W}/call`); } catch (err) { /* shown */ }
  await refresh();
  if (called && !called.ticket) msg.textContent = texts.nobody_waiting;
};
document.getElementById('btn-recall').onclick = () => act('recall');
document.getElementById('btn-serve').onclick = () => act('serve');
document.getElementById('btn-noshow').onclick = () => act('no-show');
document.getElementById('btn-transfer').onclick = () =>
  act('transfer', {group_id: document.getElementById('transfer-group').value});
document.getElementById('logout').onclick = async () => {
  await api('POST', '/auth/logout'); location.href = '/login';
};
refresh(); setInterval(refresh, 3000);
"""

# The open calls for staff (clerk and manager pages): a table refreshed every few seconds, each row answered by
# its button. Uses the page's ``api`` and ``texts``.
_STAFF_CALLS_JS = """
async function staffCalls() {
  let calls = [];
  try { calls = await api('GET', '/staff-calls'); } catch (err) { return; }
  const body = document.querySelector('#staff-calls tbody');
  body.replaceChildren(...calls.map(c => {
    const row = document.createElement('tr');
    row.dataset.call = c.id;
    const at = new Date(c.raised_at).toLocaleTimeString('zh-CN', {hour: '2-digit', minute: '2-digit',
                                                                  timeZone: texts.time_zone});
    for (const text of [at, c.kiosk_id, c.kind_zh + ' / ' + c.kind_en, c.detail_zh + ' / ' + c.detail_en]) {
      const cell = document.createElement('td'); cell.textContent = text; row.append(cell);
    }
    const cell = document.createElement('td'), button = document.createElement('button');
    button.className = 'ok answer-call'; button.textContent = texts.answer;
    button.onclick = async () => {
      try { await api('POST', `/staff-calls/${c.id}/answer`); } catch (err) {}
      await staffCalls();
    };
    cell.append(button); row.append(cell);
    return row;
  }));
  document.getElementById('staff-calls-section').hidden = calls.length === 0;
}
staffCalls(); setInterval(staffCalls, 3000);
"""

_MANAGER_JS = """
const texts = JSON.parse(document.getElementById('texts').textContent);
const msg = document.getElementById('msg');
async function api(method, path, body) {
  const r = await fetch('/api/v1' + path, {method, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'}, body: body ? JSON.stringify(body) : undefined});
  const data = r.status === 204 ? null : await r.json();
  if (!r.ok) {
    msg.textContent = data.message + ' / ' + data.message_en + (data.detail ? ' ' + JSON.stringify(data.detail) : '');
    throw new Error(data.code);
  }
  if (method !== 'GET') msg.textContent = texts.saved;  // the calls' refresh says nothing
  return data;
}
for (const b of document.querySelectorAll('button.save-window')) {
  b.onclick = async () => {
    const w = b.dataset.window;
    const groups = [...document.querySelectorAll(`input.wg[data-window="${w}"]:checked`)].map(i => i.value);
    try { await api('PUT', `/windows/${w}/groups`, {groups}); } catch (err) {}
  };
}
for (const b of document.querySelectorAll('button.follow-up')) {
  b.onclick = async () => {
    const id = b.dataset.id, note = document.getElementById('note-' + id).value;
    try { await api('POST', `/ratings/${id}/follow-up`, {note}); b.closest('tr').remove(); } catch (err) {}
  };
}
"""


def _staff_calls_section() -> str:
    """The table of open calls for staff, at the top of the page and only while there are calls (filled by
    ``_STAFF_CALLS_JS``)."""
    return (f"<section id='staff-calls-section' class='card alert' hidden><h2>{_both('hall.staff.title', ' · ')}</h2>"
            "<table id='staff-calls'><thead><tr>"
            + _columns("hall.manager.time", "hall.staff.kiosk", "hall.staff.what", "hall.staff.detail",
                       "hall.staff.answer")
            + "</tr></thead><tbody></tbody></table></section>")


def _signed_in(ctx: HallContext, request: Request) -> Principal | None:
    try:
        return ctx.accounts.authenticate(request.cookies.get(COOKIE, ""))
    except KioskError:
        return None


def _to_login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={path}", status_code=303)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def pages_router(ctx: HallContext) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    config = ctx.config
    queue = ctx.suite.queue
    hall = escape(config.kiosk.hall.name_zh)
    names = {g.id: g.name_zh for g in config.services.groups}

    @r.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/board", status_code=303)

    @r.get("/login")
    def login_page() -> HTMLResponse:
        body = (f"<header><h1>{hall} · {_zh('hall.login.heading')}</h1></header><main><form id='login' class='card'>"
                f"<p><label>{_both('hall.login.user')} <input name='username' autocomplete='username' required></label></p>"
                f"<p><label>{_both('hall.login.password')} <input name='password' type='password' "
                "autocomplete='current-password' required></label></p>"
                f"<p><label>{_both('hall.login.window')} {_zh('hall.login.window_hint')} <input name='window' size='6'>"
                f"</label></p><button type='submit'>{_both('hall.login.sign_in')}</button>"
                "<div id='msg' class='msg'></div></form></main>")
        return _page(_bilingual("hall.login.sign_in", " · "), body, script=_LOGIN_JS)

    @r.get("/board")
    def board() -> HTMLResponse:
        limit = config.kiosk.calling.board_recent_calls
        recent = queue.recent_calls(limit * 3)
        seen: set[str] = set()
        rows: list[str] = []
        for event in recent:  # newest first; one row per number
            if event.number in seen or len(rows) >= limit:
                continue
            seen.add(event.number)
            rows.append(f"<tr data-number='{escape(event.number)}' data-window='{escape(event.window)}'>"
                        f"<td class='num'>{escape(event.number)}</td>"
                        f"<td class='win'>{_zh('hall.window', window=event.window)}</td></tr>")
        waiting = "".join(
            f"<tr data-group='{escape(g['group_id'])}'><td>{escape(g['name_zh'])}</td><td class='count'>{g['waiting']}</td></tr>"
            for g in status_payload(ctx)["groups"])
        last = queue.last_event_id()
        latest = next((e for e in recent if e.kind in (EventKind.CALL, EventKind.RECALL)), None)
        body = (f"<header><h1>{hall}</h1><div id='clock'></div></header><main>"
                f"<section><h2>{_both('hall.board.now_serving', ' · ')}</h2><table id='calls'><thead><tr>"
                f"<th>{_both('hall.col.number')}</th><th>{_both('hall.col.window')}</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></section>"
                f"<section><h2>{_both('hall.waiting', ' · ')}</h2><table id='waiting'><thead><tr>"
                f"<th>{_both('hall.col.service')}</th><th>{_zh('hall.board.people')}</th>"
                f"</tr></thead><tbody>{waiting}</tbody></table></section></main>"
                f"<footer id='announce' aria-live='assertive'>{escape(EventOut.of(latest).text_zh) if latest else ''}</footer>"
                + _texts_for_script({"window": tr("hall.window", "zh", window="{window}")}))
        return _page(f"{tr('hall.board.title', 'zh')} · {config.kiosk.hall.name_zh}", body,
                     f"class='board' data-last-event='{last}' data-limit='{limit}'", _BOARD_JS)

    @r.get("/clerk", response_model=None)
    def clerk(request: Request,
              window: Annotated[str | None, Query(pattern=WINDOW)] = None) -> Response:
        who = _signed_in(ctx, request)
        if who is None or who.role not in (Role.CLERK, Role.MANAGER):
            return _to_login("/clerk")
        the_window = who.window if who.role is Role.CLERK else (window or who.window)
        if not the_window:
            return _page(tr("hall.clerk.choose_window", "zh"), f"<header><h1>{hall}</h1></header><main class='card'>"
                         f"{_both('hall.clerk.window_missing', ' / ')}</main>")
        state = queue.window(the_window)
        waiting = "".join(f"<tr data-group='{escape(g)}'><td>{escape(names.get(g, g))}</td><td class='count'>–</td></tr>"
                          for g in state.groups)
        options = "".join(f"<option value='{escape(g.id)}'>{escape(g.name_zh)}</option>" for g in config.services.groups)
        body = (f"<header><h1>{_both('hall.window', ' · ', window=the_window)}</h1>"
                f"<span>{escape(who.name)} <button id='logout'>{_both('hall.clerk.sign_out')}</button></span></header>"
                f"<main>{_staff_calls_section()}<section class='card'><div class='muted'>{_both('hall.clerk.current')}</div>"
                "<div id='current-number'>—</div><div id='current-info' class='muted'></div></section><section class='card'>"
                f"<button id='btn-call' class='ok'>{_both('hall.clerk.call')}</button>"
                f"<button id='btn-recall'>{_both('hall.clerk.recall')}</button>"
                f"<button id='btn-serve' class='ok'>{_both('hall.clerk.serve')}</button>"
                f"<button id='btn-noshow' class='warn'>{_both('hall.clerk.no_show')}</button>"
                f"<span><select id='transfer-group'>{options}</select>"
                f"<button id='btn-transfer'>{_both('hall.clerk.transfer')}</button></span>"
                "<div id='msg' class='msg' role='status'></div></section><section class='card'>"
                f"<h2>{_both('hall.clerk.services', ' · ')} <span id='served-groups'></span></h2>"
                f"<table id='waiting'><thead><tr><th>{_zh('hall.col.service')}</th><th>{_zh('hall.waiting')}</th></tr>"
                f"</thead><tbody>{waiting}</tbody></table></section></main>"
                f"<script type='application/json' id='group-names'>{_json_for_script(names)}</script>"
                + _texts_for_script({"recalls": tr("hall.clerk.recalls", "zh", n="{n}"),
                                     **{k: tr(f"hall.clerk.{k}", "zh") for k in ("priority", "no_number", "no_services")},
                                     "nobody_waiting": _bilingual("hall.clerk.nobody_waiting", " / "),
                                     "answer": _bilingual("hall.staff.answer", " / "), "time_zone": config.timezone.key}))
        needed = config.kiosk.calling.recalls_before_no_show
        return _page(tr("hall.window", "zh", window=the_window), body,
                     f"class='clerk' data-window='{escape(the_window)}' data-recalls-needed='{needed}'",
                     _CLERK_JS + _STAFF_CALLS_JS)

    @r.get("/manager", response_model=None)
    def manager(request: Request) -> Response:
        who = _signed_in(ctx, request)
        if who is None or who.role is not Role.MANAGER:
            return _to_login("/manager")
        figs = ctx.suite.figures()
        group_rows = "".join(
            f"<tr data-group='{escape(g.group_id)}'><td>{escape(g.name_zh)}</td><td class='issued'>{g.issued}</td>"
            f"<td class='served'>{g.served}</td><td>{g.no_shows}</td><td>{g.waiting}</td>"
            f"<td>{_fmt(g.average_wait)}</td><td>{_fmt(g.p90_wait)}</td></tr>" for g in figs.groups)
        hour_rows = "".join(f"<tr><td>{escape(names.get(h.group_id, h.group_id))}</td><td>{h.hour:02d}:00</td>"
                            f"<td>{h.issued}</td><td>{h.served}</td></tr>" for h in figs.hours)
        rating_rows = "".join(f"<tr><td>{lvl.text('zh')}</td><td>{n}</td></tr>" for lvl, n in figs.ratings.items())
        bad_rows = "".join(
            f"<tr data-rating='{b.id}'><td>{b.at.astimezone(config.timezone):%H:%M}</td><td>{Level(b.level).text('zh')}</td>"
            f"<td>{escape(b.number)}</td><td>{escape(b.window)}</td>"
            f"<td class='reasons'>{escape('、'.join(r.text('zh') for r in b.reasons))}</td><td>{escape(b.comment)}</td>"
            f"<td class='phone'>{escape(b.phone)}</td>"
            f"<td><input id='note-{b.id}' placeholder='{_zh('hall.manager.follow_up_note')}'>"
            f"<button class='follow-up' data-id='{b.id}'>{_both('hall.manager.done')}</button></td></tr>"
            for b in ctx.suite.ratings.bad(open_only=True))
        window_rows = "".join(
            f"<tr><td>{escape(w.window)}</td><td>"
            + "".join(f"<label><input type='checkbox' class='wg' data-window='{escape(w.window)}' value='{escape(g.id)}'"
                      f"{' checked' if g.id in w.groups else ''}>{escape(g.name_zh)}</label> " for g in config.services.groups)
            + f"</td><td><button class='save-window' data-window='{escape(w.window)}'>{_zh('hall.manager.save')}</button>"
            "</td></tr>"
            for w in queue.windows())
        m = "hall.manager."
        body = (f"<header><h1>{hall} · {_both(m + 'title')}</h1><span>{escape(who.name)}</span></header><main>"
                f"<div id='msg' class='msg' role='status'></div>{_staff_calls_section()}<section class='card'>"
                f"<h2>{_zh(m + 'today', day=figs.day)}</h2>"
                f"<p><a id='csv' href='/api/v1/figures.csv?day={figs.day}'>{_both(m + 'export', ' / ')}</a></p>"
                "<table id='figures'><thead><tr>"
                + _columns("hall.col.service", *(m + k for k in ("issued", "served", "no_shows", "waiting",
                                                                 "average_wait", "p90_wait")))
                + f"</tr></thead><tbody>{group_rows}</tbody></table></section>"
                f"<section class='card'><h2>{_both(m + 'by_hour')}</h2><table id='hours'><thead><tr>"
                + _columns("hall.col.service", m + "hour", m + "issued", m + "served")
                + f"</tr></thead><tbody>{hour_rows}</tbody></table></section>"
                f"<section class='card'><h2>{_both(m + 'ratings')}</h2><table id='ratings'><tbody>"
                f"{rating_rows}</tbody></table><h3>{_both(m + 'bad_ratings')} ({figs.bad_ratings_open})</h3>"
                "<table id='bad'><thead><tr>"
                + _columns(m + "time", m + "level", "hall.col.number", "hall.col.window", m + "reasons", m + "comment",
                           m + "phone", m + "follow_up")
                + f"</tr></thead><tbody>{bad_rows}</tbody></table></section>"
                f"<section class='card'><h2>{_both(m + 'windows')}</h2><table id='windows'><tbody>"
                f"{window_rows}</tbody></table></section></main>"
                + _texts_for_script({"saved": _bilingual(m + "saved", " / "),
                                     "answer": _bilingual("hall.staff.answer", " / "), "time_zone": config.timezone.key}))
        return _page(tr(m + "title", "zh"), body, "class='manager'", _MANAGER_JS + _STAFF_CALLS_JS)

    return r
