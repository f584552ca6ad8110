/* Editor sidebar tab "Dead letters": lists the dead-letter queue of the middleware-retry nodes, with counts by
 * error kind, filters, and Replay / Discard / Purge calling the admin endpoints (the editor adds the auth token). */
(function () {
  'use strict';
  if (typeof RED === 'undefined' || !RED.sidebar || window.odooMiddlewareDeadLetters) return;
  window.odooMiddlewareDeadLetters = true;

  var BASE = 'odoo-middleware/dead-letters';
  var NS = 'node-red-contrib-odoo-middleware/middleware-retry:middleware-retry.sidebar.';
  var DEFAULTS = {
    label: 'dead letters', name: 'Dead-letter queue', refresh: 'Refresh', replay: 'Replay', discard: 'Discard',
    purge: 'Purge older than', days: 'days', empty: 'No dead letters match.',
    details: 'Show or hide the letter\'s details', reveal: 'Show the retry node in its flow', selectAll: 'Select all listed letters',
    replayTip: 'Send the selected letters through their retry node again', discardTip: 'Mark the selected letters discarded',
    purgeTip: 'Delete replayed and discarded letters older than this many days', selectOne: 'Select this letter',
    replayOne: 'Send this letter through its retry node again', discardOne: 'Mark this letter discarded',
    noStore: 'No retry node is deployed: dead letters are listed through a deployed retry node\'s store.',
  };
  function t(key) {
    var text = RED._(NS + key);
    return text && text !== NS + key && text.indexOf('middleware-retry.sidebar.') === -1 ? text : DEFAULTS[key];
  }

  var content = $('<div>').css({ position: 'relative', height: '100%', overflowY: 'auto', padding: '8px' });
  var filters = $('<div>').css({ display: 'flex', flexWrap: 'wrap', gap: '4px', marginBottom: '6px' }).appendTo(content);
  var status = $('<select>').css({ width: '110px' }).appendTo(filters);
  ['dead', 'replayed', 'discarded', ''].forEach(function (s) { $('<option>').val(s).text(s || 'any status').appendTo(status); });
  var kind = $('<select>').css({ width: '130px' }).append($('<option>').val('').text('any kind')).appendTo(filters);
  var flow = $('<select>').css({ width: '130px' }).appendTo(filters);
  var correlation = $('<input type="text" placeholder="correlation id">').css({ width: '140px' }).appendTo(filters);
  var counts = $('<div>').css({ margin: '4px 0', fontSize: '0.9em' }).appendTo(content);
  var actions = $('<div class="dl-actions">').css({ display: 'flex', alignItems: 'center', gap: '4px', margin: '4px 0', whiteSpace: 'nowrap' }).appendTo(content);
  var selectAll = $('<input type="checkbox">').attr('title', t('selectAll')).css({ margin: 0 }).appendTo(actions);
  $('<button class="red-ui-button red-ui-button-small">').text(t('replay')).attr('title', t('replayTip')).css({ marginLeft: '4px' }).on('click', function () { act('replay', selectedIds()); }).appendTo(actions);
  $('<button class="red-ui-button red-ui-button-small">').text(t('discard')).attr('title', t('discardTip')).on('click', function () { act('discard', selectedIds()); }).appendTo(actions);
  // Purge has a row of its own so it never wraps at the default sidebar width.
  var purgeRow = $('<div class="dl-purge">').css({ display: 'flex', alignItems: 'center', gap: '4px', margin: '4px 0', whiteSpace: 'nowrap', flexWrap: 'nowrap' }).appendTo(content);
  var purgeDays = $('<input type="number" min="0" value="30">').attr('title', t('purgeTip')).css({ width: '55px', flex: 'none' });
  $('<button class="red-ui-button red-ui-button-small">').text(t('purge')).attr('title', t('purgeTip')).css({ flex: 'none' }).on('click', purge).appendTo(purgeRow);
  purgeRow.append(purgeDays).append($('<span>').text(t('days')));
  var clusters = $('<div class="dl-clusters">').css({ margin: '4px 0 8px' }).appendTo(content);
  var list = $('<div>').appendTo(content);

  var toolbar = $('<div>');
  $('<button class="red-ui-sidebar-header-button"><i class="fa fa-refresh"></i></button>').attr('title', t('refresh')).on('click', refresh).appendTo(toolbar);

  function fillFlows() {
    var current = flow.val();
    flow.empty().append($('<option>').val('').text('any flow'));
    RED.nodes.eachWorkspace(function (ws) { $('<option>').val(ws.id).text(ws.label || ws.id).appendTo(flow); });
    flow.val(current || '');
  }

  /** Local date and 24-hour time, e.g. 2026-12-01 06:51:33. */
  function formatDate(epochMs) {
    var d = new Date(epochMs);
    var pad = function (n) { return String(n).padStart(2, '0'); };
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function flowName(id) {
    var ws = id && RED.nodes.workspace(id);
    return ws ? ws.label || id : id || '';
  }

  function selectedIds() {
    return list.find('input.dl-select:checked').map(function () { return $(this).data('id'); }).get();
  }

  function query() {
    var q = { limit: 200 };
    if (status.val()) q.status = status.val();
    if (kind.val()) q.kind = kind.val();
    if (flow.val()) q.flow = flow.val();
    if ($.trim(correlation.val())) q.correlationId = $.trim(correlation.val());
    return q;
  }

  function failure(xhr) {
    var body = xhr.responseJSON || {};
    RED.notify((body.message || xhr.statusText || 'request failed') + (xhr.status ? ' (' + xhr.status + ')' : ''), 'error');
  }

  function renderCounts(byKind) {
    counts.empty();
    var kinds = Object.keys(byKind || {});
    var selected = kind.val();
    kind.find('option:not(:first)').remove();
    kinds.forEach(function (k) {
      $('<option>').val(k).text(k + ' (' + byKind[k] + ')').appendTo(kind);
      $('<span class="red-ui-debug-msg-type-string">').css({ marginRight: '8px' }).text(k + ': ' + byKind[k]).appendTo(counts);
    });
    if (selected && kinds.indexOf(selected) === -1) $('<option>').val(selected).text(selected).appendTo(kind);
    kind.val(selected || '');
  }

  function row(item) {
    var r = $('<div>').css({ borderBottom: '1px solid var(--red-ui-secondary-border-color, #ddd)', padding: '4px 0' });
    var head = $('<div>').appendTo(r);
    $('<input type="checkbox" class="dl-select">').attr('title', t('selectOne')).data('id', item.id).appendTo(head);
    $('<b>').css({ marginLeft: '4px' }).text(item.errorKind || 'unknown').appendTo(head);
    $('<span class="dl-time">').css({ marginLeft: '6px', opacity: 0.8 }).text(formatDate(item.createdAt)).appendTo(head);
    $('<span>').css({ opacity: 0.8 }).text(' · ' + item.status + ' · ' + item.attempts + ' attempt(s)').appendTo(head);
    $('<div>').text((item.errorCode ? item.errorCode + ': ' : '') + (item.errorMessage || '')).appendTo(r);
    var meta = [flowName(item.flowId), item.reason, item.correlationId ? 'correlation ' + item.correlationId : '']
      .concat(item.droppedPaths && item.droppedPaths.length ? ['dropped: ' + item.droppedPaths.join(', ')] : [])
      .filter(Boolean).join(' · ');
    $('<div>').css({ fontSize: '0.85em', opacity: 0.8 }).text(meta).appendTo(r);
    var buttons = $('<div>').appendTo(r);
    if (item.status === 'dead') {
      $('<button class="red-ui-button red-ui-button-small">').text(t('replay')).attr('title', t('replayOne')).on('click', function () { act('replay', [item.id]); }).appendTo(buttons);
      $('<button class="red-ui-button red-ui-button-small">').css({ marginLeft: '4px' }).text(t('discard')).attr('title', t('discardOne')).on('click', function () { act('discard', [item.id]); }).appendTo(buttons);
    }
    var detail = $('<div class="dl-detail">').css({ display: 'none', margin: '4px 0 2px', fontSize: '0.9em' });
    $('<button class="red-ui-button red-ui-button-small dl-show">').css({ marginLeft: '4px' }).html('<i class="fa fa-search"></i>').attr('title', t('details'))
      .on('click', function () { toggleDetail(detail, item.id); }).appendTo(buttons);
    if (item.nodeId) {
      $('<button class="red-ui-button red-ui-button-small dl-reveal">').css({ marginLeft: '4px' }).html('<i class="fa fa-crosshairs"></i>').attr('title', t('reveal')).on('click', function () { RED.view.reveal(item.nodeId, true); }).appendTo(buttons);
    }
    detail.appendTo(r);
    return r;
  }

  /** The letter's details open under its entry, as a tree like the debug sidebar's; a second click closes them. */
  function toggleDetail(detail, id) {
    if (detail.is(':visible')) { detail.hide().empty(); return; }
    $.getJSON(BASE + '/' + encodeURIComponent(id)).done(function (letter) {
      detail.empty().append(RED.utils.createObjectElement(letter, { key: null, path: '', rootPath: '', expandPaths: [''] })).show();
    }).fail(failure);
  }

  /* Letters grouped by normalised error: the count says how many records hit the same failure. */
  function renderClusters(data) {
    clusters.empty();
    if (!data.clusters || !data.clusters.length) return;
    $('<div>').css({ fontWeight: 'bold', marginBottom: '2px' }).text('By error (' + data.clusters.length + ')').appendTo(clusters);
    data.clusters.slice(0, 20).forEach(function (c) {
      var r = $('<div class="dl-cluster">').css({ padding: '2px 0', cursor: 'pointer' }).attr('title', c.example.message);
      $('<span class="red-ui-debug-msg-type-number">').css({ display: 'inline-block', minWidth: '36px' }).text(c.count + '\u00d7').appendTo(r);
      $('<span class="dl-cluster-signature">').text((c.kind ? c.kind + ' \u00b7 ' : '') + c.signature).appendTo(r);
      $('<div>').css({ fontSize: '0.8em', opacity: 0.7, marginLeft: '36px' })
        .text('first ' + new Date(c.firstSeen).toLocaleString() + ' \u00b7 last ' + new Date(c.lastSeen).toLocaleString()).appendTo(r);
      var detail = $('<div>').css({ display: 'none', marginLeft: '36px' }).appendTo(r);
      r.on('click', function (e) { if (!$(e.target).closest(detail).length) toggleDetail(detail, c.example.id); });
      r.appendTo(clusters);
    });
    if (data.truncated) $('<div>').css({ opacity: 0.7 }).text('grouped the latest ' + data.letters + ' of ' + data.total).appendTo(clusters);
  }

  function refresh() {
    var clusterQuery = query();
    delete clusterQuery.limit;
    $.getJSON(BASE + '/clusters', clusterQuery).done(renderClusters).fail(function () { clusters.empty(); });
    fillFlows();
    $.getJSON(BASE, query()).done(function (data) {
      renderCounts(data.countsByKind);
      list.empty();
      selectAll.prop('checked', false);
      if (data.stores === 0) $('<p>').text(t('noStore')).appendTo(list);
      else if (!data.items.length) $('<p>').text(t('empty')).appendTo(list);
      data.items.forEach(function (item) { row(item).appendTo(list); });
      if (data.total > data.items.length) $('<p>').css({ opacity: 0.7 }).text(data.items.length + ' of ' + data.total).appendTo(list);
    }).fail(failure);
  }

  function post(path, body) {
    return $.ajax({ url: BASE + '/' + path, type: 'POST', contentType: 'application/json', data: JSON.stringify(body), dataType: 'json' });
  }

  function act(action, ids) {
    if (!ids.length) return;
    post(action, { ids: ids }).done(function (result) {
      var done = action === 'replay' ? result.queued : result.discarded;
      var problems = (result.conflicts || []).map(function (c) { return c.message; })
        .concat((result.notFound || []).map(function (id) { return id + ' not found'; }));
      RED.notify(action + ': ' + done.length + ' of ' + ids.length + (problems.length ? '<br>' + $('<div>').text(problems.join('; ')).html() : ''), problems.length ? 'warning' : 'success');
      setTimeout(refresh, 300);
    }).fail(function (xhr) {
      failure(xhr);
      refresh();
    });
  }

  function purge() {
    var days = Number(purgeDays.val());
    if (!(days >= 0)) return;
    post('purge', { olderThanDays: days }).done(function (result) {
      RED.notify('purged ' + result.purged, 'success');
      refresh();
    }).fail(failure);
  }

  selectAll.on('change', function () { list.find('input.dl-select').prop('checked', selectAll.prop('checked')); });
  status.add(kind).add(flow).on('change', refresh);
  correlation.on('keydown', function (e) { if (e.key === 'Enter') refresh(); });

  RED.sidebar.addTab({
    id: 'odoo-middleware-dead-letters',
    label: t('label'),
    name: t('name'),
    iconClass: 'fa fa-inbox',
    content: content,
    toolbar: toolbar,
    enableOnEdit: true,
    onchange: refresh,
  });
})();
