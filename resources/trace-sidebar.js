/* Editor side of the odoo-middleware-tracing plugin: a "Traces" sidebar tab that looks up the hop timeline of a
 * correlation id from GET odoo-middleware/traces/:correlationId (admin API, so the editor's token is sent). */
(function () {
  'use strict';

  function text(tag, value, css) {
    var el = $('<' + tag + '>').text(value === undefined || value === null ? '' : String(value));
    if (css) { el.css(css); }
    return el;
  }

  function formatTime(epochMs) {
    var d = new Date(epochMs);
    return d.toLocaleTimeString() + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }

  function renderTimeline(target, body) {
    target.empty();
    var spans = body.spans || [];
    var first = spans.length ? spans[0].start : 0;
    var last = spans.reduce(function (m, s) { return Math.max(m, s.end || s.start); }, first);
    var total = Math.max(last - first, 0.001);
    target.append(text('div', 'trace ' + (body.traceId || '(none)'), { 'font-family': 'monospace', 'font-size': '11px', 'margin-bottom': '6px' }));
    var table = $('<table>').css({ width: '100%', 'border-collapse': 'collapse', 'font-size': '12px' });
    table.append($('<tr>').append(text('th', 'node'), text('th', 'start'), text('th', 'ms'), text('th', '')));
    spans.forEach(function (s) {
      var label = s.nodeName ? s.nodeName + ' (' + s.nodeType + ')' : s.nodeType;
      var link = $('<a href="#">').text(label).on('click', function (e) { e.preventDefault(); RED.view.reveal(s.nodeId); });
      var left = ((s.start - first) / total) * 100;
      var width = Math.max((((s.end || s.start) - s.start) / total) * 100, 1);
      var bar = $('<div>').css({ position: 'relative', height: '8px', background: 'var(--red-ui-secondary-background, #eee)' })
        .append($('<div>').css({ position: 'absolute', left: left + '%', width: width + '%', height: '8px', background: s.error ? '#c00' : '#3c8dbc' }));
      var row = $('<tr>').append(
        $('<td>').append(link),
        text('td', formatTime(s.start)),
        text('td', s.durationMs === undefined ? 'open' : s.durationMs.toFixed(2)),
        $('<td>').css({ width: '35%' }).append(bar)
      );
      table.append(row);
      if (s.error) { table.append($('<tr>').append(text('td', s.error, { color: '#c00' }).attr('colspan', 4))); }
    });
    target.append(table);
  }

  function init() {
    var content = $('<div>').css({ padding: '8px', overflow: 'auto', height: '100%', 'box-sizing': 'border-box' });
    var form = $('<div>').css({ display: 'flex', gap: '4px', 'margin-bottom': '8px' }).appendTo(content);
    var input = $('<input type="text" placeholder="correlation id">').css({ flex: '1' }).appendTo(form);
    var button = $('<button class="red-ui-button">').text('Look up').appendTo(form);
    var refresh = $('<button class="red-ui-button"><i class="fa fa-refresh"></i></button>').attr('title', 'recent traces').appendTo(form);
    var result = $('<div>').appendTo(content);

    function lookUp(id) {
      if (!id) { return; }
      input.val(id);
      result.text('loading…');
      $.getJSON('odoo-middleware/traces/' + encodeURIComponent(id))
        .done(function (body) { renderTimeline(result, body); })
        .fail(function (xhr) {
          var message = xhr.responseJSON && xhr.responseJSON.error ? xhr.responseJSON.error.message : xhr.status + ' ' + xhr.statusText;
          result.empty().append(text('div', message, { color: '#c00' }));
        });
    }

    function listRecent() {
      result.text('loading…');
      $.getJSON('odoo-middleware/traces?limit=50')
        .done(function (body) {
          result.empty();
          result.append(text('div', body.enabled ? (body.size + ' of ' + body.capacity + ' spans kept; OTLP export ' + (body.exporting ? 'on' : 'off')) : 'tracing is off', { 'margin-bottom': '6px', color: '#888' }));
          (body.traces || []).forEach(function (t) {
            var row = $('<div>').css({ cursor: 'pointer', padding: '2px 0' }).on('click', function () { lookUp(t.correlationId); });
            row.append(text('span', t.correlationId, { 'font-family': 'monospace' }));
            row.append(text('span', '  ' + t.hops + ' hops' + (t.errors ? ', ' + t.errors + ' failed' : '') + ', ' + formatTime(t.start), { color: t.errors ? '#c00' : '#888' }));
            result.append(row);
          });
        })
        .fail(function (xhr) { result.empty().append(text('div', xhr.status + ' ' + xhr.statusText, { color: '#c00' })); });
    }

    button.on('click', function () { lookUp(input.val().trim()); });
    input.on('keydown', function (e) { if (e.key === 'Enter') { lookUp(input.val().trim()); } });
    refresh.on('click', listRecent);

    RED.sidebar.addTab({
      id: 'odoo-middleware-traces',
      label: 'Traces',
      name: 'Traces',
      iconClass: 'fa fa-random',
      content: content,
      enableOnEdit: true,
      onchange: listRecent
    });
  }

  RED.plugins.registerPlugin('odoo-middleware-tracing', {
    type: 'odoo-middleware-tracing',
    onadd: init
  });
})();
