// rxtrade gateway dashboard. Vanilla JS, served as a file (the CSP forbids inline scripts).
// Everything from the server is rendered with textContent, never innerHTML.
(() => {
  const KEY = 'rxtrade.apiKey';
  const $ = (id) => document.getElementById(id);
  const state = {
    account: undefined,
    equity: new Map(),
    source: undefined,
    fills: new Map(),
    risk: new Map(),
  };
  const MAX_FILLS = 50;

  const api = async (method, path, body) => {
    const key = sessionStorage.getItem(KEY);
    const headers = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (res.status === 401) {
      logout('Key refused.');
      throw new Error('unauthorized');
    }
    if (!res.ok)
      throw new Error(json.error ? `${json.error.code}: ${json.error.message}` : `HTTP ${res.status}`);
    return json;
  };

  const fmt = (n, d = 2) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(d) : '–');

  const row = (cells, cls) => {
    const tr = document.createElement('tr');
    for (const [text, c] of cells) {
      const td = document.createElement('td');
      if (c === 'id') {
        // A long id is cut with an ellipsis (a span: table cells ignore max-width); hover shows it all.
        const span = document.createElement('span');
        span.textContent = String(text);
        td.title = String(text);
        td.append(span);
      } else {
        td.textContent = String(text);
      }
      if (c) td.className = c;
      tr.append(td);
    }
    if (cls) tr.className = cls;
    return tr;
  };

  const renderPositions = (positions) => {
    $('positions').replaceChildren(
      ...positions
        .filter((p) => p.quantity !== 0)
        .map((p) =>
          row([[p.instrumentId], [p.quantity], [fmt(p.avgPx)], [fmt(p.markPx)], [fmt(p.unrealizedPnl)]]),
        ),
    );
  };

  const renderOrders = (orders) => {
    $('orders').replaceChildren(
      ...orders.map((o) =>
        row([
          [o.clientOrderId, 'id'],
          [o.instrumentId],
          [o.side, o.side],
          [o.type],
          [o.quantity],
          [fmt(o.price)],
          [o.status],
        ]),
      ),
    );
  };

  // Fills of the last days and of last year look alike without a date: UTC, like the rest of rxtrade.
  const utc = (ts) => new Date(ts).toISOString().slice(0, 19).replace('T', ' ');

  const renderFills = () => {
    $('fills').replaceChildren(
      ...(state.fills.get(state.account) ?? []).map((f) =>
        row(
          [
            [utc(f.tsEvent)],
            [f.clientOrderId],
            [f.instrumentId],
            [f.side, f.side],
            [f.lastQty],
            [fmt(f.lastPx)],
          ],
          'fill',
        ),
      ),
    );
  };

  const fillKey = (f) => `${f.clientOrderId}/${f.tradeId}`;
  const addFill = (f) => {
    const list = state.fills.get(f.accountId) ?? [];
    if (list.some((g) => fillKey(g) === fillKey(f))) return;
    list.push(f);
    list.sort((a, b) => b.tsEvent - a.tsEvent);
    list.length = Math.min(list.length, MAX_FILLS);
    state.fills.set(f.accountId, list);
  };

  const renderRisk = (s) => {
    const el = $('risk-state');
    el.textContent = s.state;
    el.className = `state-${s.state}`;
    $('risk-reason').textContent = s.reason ? `(${s.reason})` : '';
  };
  // The latest trading state of every account (key ''), and of each account on its own.
  const SEVERITY = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };
  const keepRisk = (s) => {
    // A page of /api/risk fetched before a stream event may land after it: the newer one stays.
    const known = state.risk.get(s.accountId ?? '');
    if (known === undefined || s.tsEvent >= known.tsEvent) state.risk.set(s.accountId ?? '', s);
  };
  /** The stricter of the global state and the selected account's own: what its orders meet. */
  const renderAccountRisk = () => {
    const shown = [state.risk.get(''), state.risk.get(state.account)]
      .filter((s) => s !== undefined)
      .sort((a, b) => (SEVERITY[b.state] ?? 0) - (SEVERITY[a.state] ?? 0))[0];
    // Nothing known for this account yet: say so rather than keep another account's state.
    renderRisk(shown ?? { state: '?' });
  };

  const renderChart = () => {
    const points = state.equity.get(state.account) ?? [];
    const last = points[points.length - 1];
    $('equity').textContent = last ? `equity ${fmt(last)}` : '';
    if (points.length === 0) return $('chart-line').setAttribute('points', '');
    let min = Math.min(...points);
    let max = Math.max(...points);
    if (max - min < 1e-9) {
      min -= 1;
      max += 1;
    }
    const step = points.length > 1 ? 600 / (points.length - 1) : 0;
    const coords = points.map(
      (v, i) => `${(i * step).toFixed(1)},${(150 - ((v - min) / (max - min)) * 140).toFixed(1)}`,
    );
    if (points.length === 1) coords.push(`600,${coords[0].split(',')[1]}`);
    $('chart-line').setAttribute('points', coords.join(' '));
  };

  const pushEquity = (accountId, equity) => {
    const list = state.equity.get(accountId) ?? [];
    list.push(equity);
    if (list.length > 500) list.shift();
    state.equity.set(accountId, list);
    if (accountId === state.account) renderChart();
  };

  // What happened before this page opened: the equity samples the gateway kept and the latest fills
  // (the fills list is oldest first and paged, so walk it to its end, keeping the newest).
  const loadHistory = async (accountId) => {
    const id = encodeURIComponent(accountId);
    const { equity } = await api('GET', `/api/accounts/${id}/equity`);
    if (equity.length > 0)
      state.equity.set(
        accountId,
        equity.map((p) => p.equity),
      );
    let cursor;
    let page = 0;
    const seen = [];
    do {
      const q = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await api('GET', `/api/accounts/${id}/fills?limit=1000${q}`);
      seen.push(...res.fills.slice(-MAX_FILLS));
      if (seen.length > MAX_FILLS) seen.splice(0, seen.length - MAX_FILLS);
      cursor = res.nextCursor ?? undefined;
    } while (cursor !== undefined && ++page < 100);
    for (const f of seen) addFill(f);
    if (accountId === state.account) {
      renderChart();
      renderFills();
    }
  };

  let refreshTimer;
  const refresh = async () => {
    clearTimeout(refreshTimer);
    if (!state.account) return;
    const id = encodeURIComponent(state.account);
    const [positions, orders, risk] = await Promise.all([
      api('GET', `/api/accounts/${id}/positions`),
      api('GET', `/api/accounts/${id}/orders?open=true`),
      api('GET', '/api/risk'),
    ]);
    renderPositions(positions.positions);
    renderOrders(orders.orders);
    for (const s of risk.states) keepRisk(s);
    renderAccountRisk();
  };
  const scheduleRefresh = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => refresh().catch(() => {}), 150);
  };

  const connect = async () => {
    state.source?.close();
    const { token } = await api('POST', '/api/stream-token');
    const source = new EventSource(`/api/stream?token=${encodeURIComponent(token)}`);
    state.source = source;
    source.addEventListener('open', () => {
      $('conn').textContent = 'live';
    });
    source.addEventListener('error', () => {
      // Tokens are single use: an automatic reconnect would be refused, so fetch a new token.
      $('conn').textContent = 'reconnecting…';
      source.close();
      if (state.source === source && sessionStorage.getItem(KEY))
        setTimeout(() => connect().catch(() => {}), 2000);
    });
    source.addEventListener('fill', (e) => {
      const { data } = JSON.parse(e.data);
      addFill(data);
      if (data.accountId === state.account) renderFills();
      scheduleRefresh();
    });
    source.addEventListener('position', scheduleRefresh);
    source.addEventListener('equity', (e) => {
      const { accountId, data } = JSON.parse(e.data);
      pushEquity(accountId, data.equity);
    });
    source.addEventListener('risk', (e) => {
      const { data } = JSON.parse(e.data);
      keepRisk(data);
      renderAccountRisk();
    });
  };

  const start = async () => {
    const { accounts } = await api('GET', '/api/accounts');
    const select = $('account');
    select.replaceChildren(
      ...accounts.map((a) => {
        const o = document.createElement('option');
        o.value = a.accountId;
        o.textContent = a.accountId;
        return o;
      }),
    );
    state.account = accounts[0]?.accountId;
    for (const a of accounts) pushEquity(a.accountId, a.equity);
    $('login-view').hidden = true;
    $('main-view').hidden = false;
    $('logout').hidden = false;
    renderChart();
    await connect();
    if (state.account) await loadHistory(state.account);
    await refresh();
  };

  function logout(message) {
    sessionStorage.removeItem(KEY);
    state.source?.close();
    state.source = undefined;
    state.account = undefined;
    state.equity.clear();
    state.fills.clear();
    state.risk.clear();
    $('conn').textContent = 'offline';
    $('main-view').hidden = true;
    $('logout').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message ?? '';
  }

  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('api-key').value.trim();
    $('api-key').value = '';
    sessionStorage.setItem(KEY, key);
    start().catch((err) => {
      if (err.message !== 'unauthorized') $('login-error').textContent = err.message;
    });
  });
  $('logout').addEventListener('click', () => logout());
  $('account').addEventListener('change', (e) => {
    state.account = e.target.value;
    renderChart();
    renderFills();
    loadHistory(state.account).catch(() => {});
    refresh().catch(() => {});
  });

  let armed;
  $('kill').addEventListener('click', async () => {
    const button = $('kill');
    if (!armed) {
      button.textContent = 'Click again to HALT';
      button.classList.add('armed');
      armed = setTimeout(() => {
        armed = undefined;
        button.textContent = 'Kill switch';
        button.classList.remove('armed');
      }, 5000);
      return;
    }
    clearTimeout(armed);
    armed = undefined;
    button.textContent = 'Kill switch';
    button.classList.remove('armed');
    try {
      await api('POST', '/api/risk/kill-switch', {
        reason: 'dashboard kill switch',
        flatten: $('flatten').checked,
      });
      $('kill-msg').textContent = 'Kill switch sent.';
      await refresh();
    } catch (err) {
      $('kill-msg').textContent = err.message;
    }
  });

  if (sessionStorage.getItem(KEY)) start().catch(() => {});
})();
