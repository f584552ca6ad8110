/* Editor side of the odoo-middleware-tracing plugin: a "traces" sidebar tab that lists recent traces (with the flow
 * and endpoint each came in by) and shows the hop timeline of a correlation id from
 * GET odoo-middleware/traces/:correlationId (admin API, so the editor's token is sent). A click on a hop reveals
 * its node; a node with several outputs (a switch) shows the output the message left by. */
(function () {
  'use strict';

  function text(tag, value, css) {
    var el = $('<' + tag + '>').text(value === undefined || value === null ? '' : String(value));
    if (css) { el.css(css); }
    return el;
  }

  function pad(n, width) {
    return String(n).padStart(width || 2, '0');
  }

  /** 24-hour local time with milliseconds, e.g. 06:51:33.875. */
  function formatTime(epochMs) {
    var d = new Date(epochMs);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }

  function flowLabel(id) {
    var ws = id && RED.nodes.workspace(id);
    if (ws) { return ws.label || id; }
    var subflow = id && RED.nodes.subflow(id);
    return subflow ? subflow.name || id : id || '';
  }

  function routeOf(node) {
    if (node.type === 'http in') { return String(node.method || 'get').toUpperCase() + ' ' + node.url; }
    if (node.type === 'webhook-in') { return String(node.method || 'post').toUpperCase() + ' ' + node.path; }
    return undefined;
  }

  /**
   * How a trace came in: the route of the HTTP entry node wired upstream of its first hop (tracing starts where a
   * correlation id is set, often just after the entry node), else the first hop's label.
   */
  function endpointOf(nodeId) {
    var start = nodeId && RED.nodes.node(nodeId);
    if (!start) { return ''; }
    var queue = [start];
    var seen = {};
    while (queue.length) {
      var node = queue.shift();
      if (seen[node.id]) { continue; }
      seen[node.id] = true;
      var route = routeOf(node);
      if (route) { return route; }
      RED.nodes.filterLinks({ target: node }).forEach(function (link) { queue.push(link.source); });
    }
    return RED.utils.getNodeLabel(start, start.type);
  }

  function hopLabel(span) {
    return span.nodeName ? span.nodeName + ' (' + span.nodeType + ')' : span.nodeType;
  }

  /**
   * The output a hop left by: the port of the wire from its node to a later hop's node. Undefined for a node
   * with one output; null when no later hop is wired to it (the message stopped there).
   */
  function outputTaken(spans, index) {
    var node = RED.nodes.node(spans[index].nodeId);
    if (!node || !(node.outputs > 1)) { return undefined; }
    for (var j = index + 1; j < spans.length; j++) {
      var next = RED.nodes.node(spans[j].nodeId);
      if (!next) { continue; }
      var links = RED.nodes.filterLinks({ source: node, target: next });
      if (links.length) { return links[0].sourcePort; }
    }
    return null;
  }

  function outputName(nodeId, port) {
    var node = RED.nodes.node(nodeId);
    var labels = node && node._def && node._def.outputLabels;
    var label;
    try {
      label = typeof labels === 'function' ? labels.call(node, port) : Array.isArray(labels) ? labels[port] : undefined;
    } catch (e) {
      label = undefined;
    }
    return 'output ' + (port + 1) + (label ? ': ' + label : '');
  }

  function renderTimeline(target, body) {
    target.empty();
    var spans = body.spans || [];
    var first = spans.length ? spans[0].start : 0;
    var last = spans.reduce(function (m, s) { return Math.max(m, s.end || s.start); }, first);
    var total = Math.max(last - first, 0.001);
    if (spans.length) {
      var where = [flowLabel(spans[0].flowId), endpointOf(spans[0].nodeId)].filter(Boolean).join(' · ');
      target.append(text('div', where, { 'font-weight': 'bold', 'margin-bottom': '2px' }).addClass('trace-origin'));
    }
    target.append(text('div', 'trace ' + (body.traceId || '(none)'), { 'font-family': 'monospace', 'font-size': '11px', 'margin-bottom': '6px', 'word-break': 'break-all' }));
    var table = $('<table class="trace-hops">').css({ width: '100%', 'border-collapse': 'collapse', 'font-size': '12px' });
    table.append($('<tr>').append(text('th', 'node'), text('th', 'start'), text('th', 'ms'), text('th', '')));
    spans.forEach(function (s, index) {
      var port = outputTaken(spans, index);
      var left = ((s.start - first) / total) * 100;
      var width = Math.max((((s.end || s.start) - s.start) / total) * 100, 1);
      var bar = $('<div>').css({ position: 'relative', height: '8px', background: 'var(--red-ui-secondary-background, #eee)' })
        .append($('<div>').css({ position: 'absolute', left: left + '%', width: width + '%', height: '8px', background: s.error ? '#c00' : '#3c8dbc' }));
      // A hop still open that handed the message on is not stuck: its node has passed it to the next one.
      var ms = s.durationMs !== undefined ? s.durationMs.toFixed(2) : typeof port === 'number' ? '–' : 'open';
      var name = $('<td>').append($('<a href="#">').text(hopLabel(s)));
      if (typeof port === 'number') { name.append(text('div', '→ ' + outputName(s.nodeId, port), { 'font-size': '11px', opacity: 0.8 }).addClass('trace-output')); }
      if (port === null) { name.append(text('div', '→ no output', { 'font-size': '11px', opacity: 0.8 }).addClass('trace-output')); }
      var row = $('<tr class="trace-hop">').css({ cursor: 'pointer' }).attr('title', 'show this node in its flow').append(
        name,
        text('td', formatTime(s.start)),
        text('td', ms),
        $('<td>').css({ width: '30%' }).append(bar)
      ).on('click', function (e) { e.preventDefault(); RED.view.reveal(s.nodeId, true); });
      table.append(row);
      if (s.error) { table.append($('<tr>').append(text('td', s.error, { color: '#c00', 'word-break': 'break-word' }).attr('colspan', 4))); }
    });
    target.append(table);
  }

  function init() {
    var content = $('<div>').css({ padding: '8px', overflow: 'auto', height: '100%', 'box-sizing': 'border-box' });
    var form = $('<div>').css({ display: 'flex', gap: '4px', 'margin-bottom': '8px' }).appendTo(content);
    var input = $('<input type="text" placeholder="correlation id">').attr('title', 'a correlation id to look up').css({ flex: '1', 'min-width': '0' }).appendTo(form);
    var button = $('<button class="red-ui-button">').text('Look up').attr('title', 'show the hops of this correlation id').appendTo(form);
    var refresh = $('<button class="red-ui-button"><i class="fa fa-refresh"></i></button>').attr('title', 'list the recent traces').appendTo(form);
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
            var row = $('<div class="trace-recent">').css({ cursor: 'pointer', padding: '3px 0', 'border-bottom': '1px solid var(--red-ui-secondary-border-color, #eee)' })
              .attr('title', 'show the hops of this trace').on('click', function () { lookUp(t.correlationId); });
            row.append(text('div', t.correlationId, { 'font-family': 'monospace', 'word-break': 'break-all' }));
            var where = [flowLabel(t.flowId), endpointOf(t.nodeId)].filter(Boolean).join(' · ');
            row.append(text('div', (where ? where + ' · ' : '') + t.hops + ' hops' + (t.errors ? ', ' + t.errors + ' failed' : '') + ' · ' + formatTime(t.start), { color: t.errors ? '#c00' : '#888', 'font-size': '11px' }));
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
      label: 'traces',
      name: 'Message traces',
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
