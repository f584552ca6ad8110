/* Editor sidebar tab "Operations": per odoo-connection the last hour of calls/min, error rate and p95 latency as
 * small inline-SVG charts with the circuit state, paused connections with a resume button, active alerts, the
 * dead-letter backlog by error cluster, and open and breached SLAs. Reads GET odoo-middleware/operations (admin
 * API, so the editor's token is sent). */
(function () {
  'use strict';
  if (typeof RED === 'undefined' || !RED.sidebar || window.odooMiddlewareOperations) return;
  window.odooMiddlewareOperations = true;

  var BASE = 'odoo-middleware/operations';
  var REFRESH_MS = 15000;
  var SVG = 'http://www.w3.org/2000/svg';

  function text(tag, value, css) {
    var el = $('<' + tag + '>').text(value === undefined || value === null ? '' : String(value));
    if (css) el.css(css);
    return el;
  }

  function duration(ms) {
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 3600000) return Math.round(ms / 60000) + ' min';
    return (ms / 3600000).toFixed(1) + ' h';
  }

  function section(title) {
    var box = $('<div class="ops-section">').css({ marginBottom: '12px' });
    text('div', title, { fontWeight: 'bold', borderBottom: '1px solid var(--red-ui-secondary-border-color, #ddd)', marginBottom: '4px' }).appendTo(box);
    return box;
  }

  /** A sparkline of `values` (null for no data), scaled to its own maximum; the last value is printed beside it. */
  function chart(label, values, format, color) {
    var width = 180;
    var height = 28;
    var row = $('<div class="ops-chart">').css({ display: 'flex', alignItems: 'center', gap: '6px', fontSize: '0.85em' });
    text('span', label, { width: '70px', flex: 'none', opacity: 0.8 }).appendTo(row);
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    var known = values.filter(function (v) { return v !== null && v !== undefined; });
    var max = Math.max.apply(null, known.concat([0])) || 1;
    var step = values.length > 1 ? width / (values.length - 1) : width;
    var points = [];
    values.forEach(function (v, i) {
      if (v === null || v === undefined) return;
      points.push((i * step).toFixed(1) + ',' + (height - 2 - (v / max) * (height - 4)).toFixed(1));
    });
    var base = document.createElementNS(SVG, 'line');
    base.setAttribute('x1', 0); base.setAttribute('x2', width); base.setAttribute('y1', height - 1); base.setAttribute('y2', height - 1);
    base.setAttribute('stroke', '#ccc');
    svg.appendChild(base);
    var line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-width', '1.5');
    svg.appendChild(line);
    row.append(svg);
    var last = known.length ? known[known.length - 1] : undefined;
    text('span', last === undefined ? '–' : format(last), { flex: 'none' }).appendTo(row);
    return row;
  }

  var CIRCUIT_COLORS = { closed: '#5a8', half_open: '#d90', open: '#c33' };

  function resume(connection) {
    $.ajax({ url: 'odoo-connection/' + encodeURIComponent(connection.id) + '/resume', type: 'POST', dataType: 'json' })
      .done(function () { RED.notify('resumed ' + connection.name, 'success'); refresh(); })
      .fail(failure);
  }

  function renderConnections(data) {
    var box = section('Connections');
    if (!data.connections.length) text('p', 'No odoo-connection is deployed.').appendTo(box);
    var perMinute = 60000 / data.windowMs;
    data.connections.forEach(function (c) {
      var entry = $('<div class="ops-connection">').css({ marginBottom: '8px' }).appendTo(box);
      var head = $('<div>').appendTo(entry);
      text('b', c.name).appendTo(head);
      var state = c.paused ? 'paused' : c.circuit || 'unknown';
      text('span', state, { marginLeft: '6px', padding: '0 4px', borderRadius: '3px', color: '#fff', background: c.paused ? '#c33' : CIRCUIT_COLORS[c.circuit] || '#999' })
        .addClass('ops-circuit').appendTo(head);
      if (c.paused) {
        text('div', 'paused since ' + new Date(c.paused.since).toLocaleString() + ': ' + c.paused.reason, { fontSize: '0.85em' }).appendTo(entry);
        if (c.pausable) {
          $('<button class="red-ui-button red-ui-button-small ops-resume">').text('Resume').on('click', function () { resume(c); }).appendTo(entry);
        }
      }
      var windows = c.windows || [];
      entry.append(chart('calls/min', windows.map(function (w) { return w.calls * perMinute; }), function (v) { return v.toFixed(1); }, '#37a'));
      entry.append(chart('error rate', windows.map(function (w) { return w.calls ? w.errors / w.calls : null; }), function (v) { return (v * 100).toFixed(1) + '%'; }, '#c33'));
      entry.append(chart('p95', windows.map(function (w) { return w.p95Ms === undefined ? null : w.p95Ms; }), duration, '#a6a'));
    });
    return box;
  }

  function renderAlerts(data) {
    var box = section('Active alerts (' + data.alerts.length + ')');
    if (!data.alerts.length) text('p', 'None.', { opacity: 0.7 }).appendTo(box);
    data.alerts.forEach(function (a) {
      var r = $('<div class="ops-alert">').css({ marginBottom: '4px' }).appendTo(box);
      text('b', a.kind.replace(/_/g, ' ') + ' · ' + a.subject).appendTo(r);
      text('div', a.explanation, { fontSize: '0.85em' }).appendTo(r);
      text('div', 'since ' + new Date(a.since).toLocaleString(), { fontSize: '0.8em', opacity: 0.7 }).appendTo(r);
    });
    return box;
  }

  function renderDeadLetters(data) {
    var dl = data.deadLetters;
    var box = section('Dead letters by error' + (dl && dl.total !== undefined ? ' (' + dl.total + ')' : ''));
    if (data.backlog) {
      var b = data.backlog;
      text('div', b.depth + ' waiting, ' + b.perMinute.toFixed(1) + '/min' + (b.etaMs !== undefined ? ', ' + b.threshold + ' reached in ' + duration(b.etaMs) : ''), { fontSize: '0.85em', marginBottom: '4px' }).appendTo(box);
    }
    if (!dl) { text('p', 'No retry node is deployed.', { opacity: 0.7 }).appendTo(box); return box; }
    if (dl.error) { text('p', dl.error).appendTo(box); return box; }
    if (!dl.clusters.length) text('p', 'None.', { opacity: 0.7 }).appendTo(box);
    dl.clusters.forEach(function (c) {
      var r = $('<div class="ops-cluster">').css({ padding: '2px 0' }).attr('title', c.example.message).appendTo(box);
      text('span', c.count + '×', { display: 'inline-block', minWidth: '36px' }).addClass('red-ui-debug-msg-type-number').appendTo(r);
      text('span', (c.kind ? c.kind + ' · ' : '') + c.signature).appendTo(r);
    });
    return box;
  }

  function renderSlas(data) {
    var box = section('SLAs');
    if (!data.slas.length) text('p', 'No sla config node is deployed.', { opacity: 0.7 }).appendTo(box);
    data.slas.forEach(function (s) {
      var r = $('<div class="ops-sla">').css({ marginBottom: '6px' }).appendTo(box);
      if (s.error) { text('div', s.name + ': ' + s.error).appendTo(r); return; }
      text('b', s.name + ' (' + duration(s.deadlineMs) + ')').appendTo(r);
      text('span', ' ' + s.open + ' open, ' + s.breachedOpen + ' breached').addClass('ops-sla-counts').appendTo(r);
      (s.items || []).forEach(function (i) {
        text('div', (i.breached ? '⚠ ' : '') + s.name + ' ' + i.key + ' · open ' + duration(i.ageMs), { fontSize: '0.85em', marginLeft: '8px', color: i.breached ? '#c33' : '' })
          .addClass(i.breached ? 'ops-sla-breached' : 'ops-sla-open').appendTo(r);
      });
    });
    return box;
  }

  var content = $('<div class="ops-sidebar">').css({ position: 'relative', height: '100%', overflowY: 'auto', padding: '8px' });
  var toolbar = $('<div>');
  $('<button class="red-ui-sidebar-header-button"><i class="fa fa-refresh"></i></button>').attr('title', 'Refresh').on('click', function () { refresh(); }).appendTo(toolbar);

  function failure(xhr) {
    var body = xhr.responseJSON || {};
    var error = body.error || body;
    RED.notify((error.message || xhr.statusText || 'request failed') + (xhr.status ? ' (' + xhr.status + ')' : ''), 'error');
  }

  var timer;
  function refresh() {
    $.getJSON(BASE).done(function (data) {
      content.empty().append(renderAlerts(data), renderConnections(data), renderDeadLetters(data), renderSlas(data));
    }).fail(function (xhr) {
      content.empty();
      text('p', 'Operations could not be read: ' + ((xhr.responseJSON || {}).message || xhr.statusText)).appendTo(content);
    });
  }

  RED.sidebar.addTab({
    id: 'odoo-middleware-operations',
    label: 'operations',
    name: 'Operations',
    iconClass: 'fa fa-heartbeat',
    content: content,
    toolbar: toolbar,
    enableOnEdit: true,
    onchange: function () {
      refresh();
      clearInterval(timer);
      timer = setInterval(function () { if (content.is(':visible')) refresh(); }, REFRESH_MS);
    },
  });
})();
