/* Editor helpers for the canonical-mapper node: rule list, schema picker, the "Try with the sample" panel and the
 * rule suggester (accept or reject each proposed rule). */
(function () {
  'use strict';
  var TRANSFORMS = ['string', 'trim', 'lower', 'upper', 'number', 'integer', 'boolean', 'date', 'datetime', 'odooDate',
    'odooDatetime', 'currency', 'lookup', 'default', 'concat', 'split', 'map'];
  // Templates appended when a transform needing options is picked; the user edits the JSON.
  var TEMPLATES = {
    currency: { type: 'currency', currency: 'EUR' },
    lookup: { type: 'lookup', table: {}, default: null },
    default: { type: 'default', value: '' },
    concat: { type: 'concat', sources: [{ kind: 'path', path: '' }], separator: ' ' },
    split: { type: 'split', separator: ',' },
    map: { type: 'map', rules: [] },
  };
  var PATH_TYPE = { value: 'path', label: 'path', icon: 'fa fa-level-down', hasValue: true };
  var catalog = { schemas: [], presets: [] };

  function sourceToTyped(source) {
    if (!source) return { type: 'path', value: '' };
    if (source.kind === 'path') return { type: 'path', value: source.path || '' };
    if (source.kind === 'jsonata') return { type: 'jsonata', value: source.expr || '' };
    var v = source.value;
    if (typeof v === 'string') return { type: 'str', value: v };
    if (typeof v === 'number') return { type: 'num', value: String(v) };
    if (typeof v === 'boolean') return { type: 'bool', value: String(v) };
    return { type: 'json', value: JSON.stringify(v) };
  }

  function typedToSource(type, value) {
    switch (type) {
      case 'path': return { kind: 'path', path: value };
      case 'jsonata': return { kind: 'jsonata', expr: value };
      case 'num': return { kind: 'const', value: Number(value) };
      case 'bool': return { kind: 'const', value: value === 'true' };
      case 'json':
        try { return { kind: 'const', value: JSON.parse(value) }; } catch (e) { return { kind: 'const', value: value }; }
      default: return { kind: 'const', value: value };
    }
  }

  function readRules() {
    var rules = [];
    $('#node-input-rules-container').editableList('items').each(function () {
      var row = $(this);
      var rule = {
        target: row.find('.cm-target').val().trim(),
        source: typedToSource(row.find('.cm-source').typedInput('type'), row.find('.cm-source').typedInput('value')),
      };
      var text = row.find('.cm-transforms').val().trim();
      if (text) {
        try { rule.transforms = JSON.parse(text); } catch (e) { rule.transforms = text.split(',').map(function (s) { return s.trim(); }).filter(Boolean); }
      }
      rules.push(rule);
    });
    return rules;
  }

  function schemaValue() {
    var type = $('#node-input-schemaType').val();
    if (type === 'canonical') return $('#cm-schema-canonical').val() || '';
    if (type === 'file') return $('#cm-schema-file').val();
    if (type === 'inline') return $('#cm-schema-inline').val();
    return '';
  }

  function showMode() {
    var rules = $('#node-input-mode').val() === 'rules';
    $('.cm-preset-row').toggle(!rules);
    $('.cm-rules-row').toggle(rules);
  }

  function showSchema() {
    var type = $('#node-input-schemaType').val();
    $('#cm-schema-canonical').toggle(type === 'canonical');
    $('#cm-schema-file').toggle(type === 'file');
    $('.cm-schema-inline-row').toggle(type === 'inline');
  }

  function presetOf(id) {
    return catalog.presets.filter(function (p) { return p.id === id; })[0];
  }

  /** The dialog's connection, or undefined for "none" and "add new" (which has no deployed node yet). */
  function connectionId() {
    var id = $('#node-input-connection').val();
    return id && id !== '_ADD_' ? id : undefined;
  }

  function showPresetHint(node) {
    var preset = presetOf($('#node-input-preset').val());
    $('#cm-preset-hint').text(preset ? node._('canonical-mapper.hint.' + preset.odoo) : '');
  }

  // The sample box follows the preset until the user edits it.
  var prefilled = '';
  function prefillSample() {
    var preset = presetOf($('#node-input-preset').val());
    var box = $('#cm-sample');
    if (!preset || !preset.sample || (box.val() !== '' && box.val() !== prefilled)) return;
    prefilled = JSON.stringify(preset.sample, null, 2);
    box.val(prefilled);
  }

  function fillCatalog(node) {
    var presetSelect = $('#node-input-preset').empty();
    catalog.presets.forEach(function (p) {
      $('<option>').val(p.id).text(p.title + ' (' + node._('canonical-mapper.odoo.' + p.odoo) + ')').appendTo(presetSelect);
    });
    presetSelect.val(node.preset);
    showPresetHint(node);
    if ($('#node-input-mode').val() === 'preset') prefillSample();
    var targets = $('#cm-suggest-target').empty();
    catalog.schemas.forEach(function (s) { $('<option>').val(s.name).text(s.title + ' (' + s.name + ')').appendTo(targets); });
    $('<option>').val('_odoo').text(node._('canonical-mapper.label.odooModel')).appendTo(targets);
    targets.val('sales-order');
    targets.trigger('change');
    var schemaSelect = $('#cm-schema-canonical').empty();
    $('<option>').val('').text(node._('canonical-mapper.schema.presetDefault')).appendTo(schemaSelect);
    catalog.schemas.forEach(function (s) { $('<option>').val(s.id).text(s.title + ' ' + s.version).appendTo(schemaSelect); });
    if (node.schemaType === 'canonical') schemaSelect.val(node.schema || '');
  }

  /** Output and errors as expandable trees, like the debug sidebar. */
  function showResult(target, data, node) {
    target.empty();
    if (data.error) {
      $('<div class="cm-result-error">').css({ color: 'var(--red-ui-text-color-error, #c00)', 'margin-bottom': '4px' })
        .text((data.error.code ? data.error.code + ': ' : '') + data.error.message).appendTo(target);
      if (data.error.problems) RED.utils.createObjectElement(data.error.problems, { key: 'problems', path: '', rootPath: '', expandPaths: ['[0]'] }).appendTo(target);
      return;
    }
    if (data.errors && data.errors.length > 0) {
      var paths = data.errors.map(function (_e, i) { return '[' + i + ']'; });
      RED.utils.createObjectElement(data.errors, { key: node._('canonical-mapper.label.errors') + (data.stage ? ' (' + data.stage + ')' : ''), path: '', rootPath: '', expandPaths: paths })
        .addClass('cm-result-errors').appendTo(target);
    }
    if (data.output !== undefined && data.output !== null) {
      RED.utils.createObjectElement(data.output, { key: node._('canonical-mapper.label.output'), path: '', rootPath: '', expandPaths: [''] })
        .addClass('cm-result-output').appendTo(target);
    }
  }

  function failure(xhr) {
    if (xhr.responseJSON && xhr.responseJSON.error) return { error: xhr.responseJSON.error };
    return { error: { message: xhr.status + ' ' + (xhr.responseText || xhr.statusText) } };
  }

  /** A rule as the mapper runs it: the suggester's confidence and reason left out, nested map rules too. */
  function plainRule(suggestion) {
    var rule = { target: suggestion.target, source: suggestion.source };
    if (suggestion.transforms) {
      rule.transforms = suggestion.transforms.map(function (t) {
        return t && t.type === 'map' ? { type: 'map', rules: t.rules.map(plainRule) } : t;
      });
    }
    return rule;
  }

  function describeSource(source) {
    if (source.kind === 'path') return source.path;
    if (source.kind === 'jsonata') return source.expr;
    return JSON.stringify(source.value);
  }

  function showSuggestions(node, data) {
    var box = $('#cm-suggestions').empty();
    if (data.error) { showResult(box, data, node); return; }
    if (data.rules.length === 0) { $('<div class="form-tips">').text(node._('canonical-mapper.suggest.none')).appendTo(box); }
    var list = $('<ul class="cm-suggestion-list">').css({ 'list-style': 'none', margin: 0, padding: 0, 'max-height': '260px', overflow: 'auto' }).appendTo(box);
    function settle(row, suggestion, accepted) {
      if (accepted) $('#node-input-rules-container').editableList('addItem', plainRule(suggestion));
      row.remove();
      if (list.children().length === 0) box.find('.cm-suggestion-all').remove();
    }
    data.rules.forEach(function (suggestion) {
      var row = $('<li class="cm-suggestion">').css({ display: 'flex', gap: '6px', 'align-items': 'center', padding: '2px 0', 'border-bottom': '1px solid var(--red-ui-secondary-border-color, #ddd)' }).appendTo(list);
      row.data('suggestion', suggestion);
      var confidence = Math.round(suggestion.confidence * 100);
      $('<span class="cm-confidence">').text(confidence + '%').attr('title', suggestion.reason)
        .css({ width: '3.5em', 'text-align': 'right', 'font-family': 'monospace', color: confidence >= 75 ? 'var(--red-ui-text-color-success, #3a3)' : 'var(--red-ui-text-color, #555)' }).appendTo(row);
      var nested = (suggestion.transforms || []).filter(function (t) { return t && t.type === 'map'; })[0];
      var joined = (suggestion.transforms || []).filter(function (t) { return t && t.type === 'concat'; })[0];
      var from = describeSource(suggestion.source) + (joined ? joined.sources.map(function (j) { return ' + ' + describeSource(j); }).join('') : '');
      var text = suggestion.target + ' \u2190 ' + from + (nested ? ' (' + nested.rules.length + ' line fields)' : '');
      $('<span class="cm-suggestion-text">').text(text).attr('title', suggestion.reason).css({ flex: '1', 'font-family': 'monospace', 'word-break': 'break-all' }).appendTo(row);
      $('<button type="button" class="red-ui-button red-ui-button-small cm-accept"><i class="fa fa-check"></i></button>')
        .attr('title', node._('canonical-mapper.label.accept')).on('click', function () { settle(row, suggestion, true); }).appendTo(row);
      $('<button type="button" class="red-ui-button red-ui-button-small cm-reject"><i class="fa fa-times"></i></button>')
        .attr('title', node._('canonical-mapper.label.reject')).on('click', function () { settle(row, suggestion, false); }).appendTo(row);
    });
    if (data.rules.length > 0) {
      var all = $('<div class="cm-suggestion-all">').css({ 'margin-top': '4px', display: 'flex', gap: '4px' }).appendTo(box);
      $('<button type="button" class="red-ui-button red-ui-button-small cm-accept-all">').text(node._('canonical-mapper.label.acceptAll')).on('click', function () {
        list.children().each(function () { settle($(this), $(this).data('suggestion'), true); });
      }).appendTo(all);
      $('<button type="button" class="red-ui-button red-ui-button-small cm-reject-all">').text(node._('canonical-mapper.label.rejectAll')).on('click', function () {
        list.children().each(function () { settle($(this), $(this).data('suggestion'), false); });
      }).appendTo(all);
    }
    var unmapped = data.unmapped || { targets: [], sources: [] };
    if (unmapped.targets.length > 0) {
      // Required fields first (marked *); a long tail is counted rather than listed.
      var ordered = unmapped.targets.filter(function (t) { return t.required; }).concat(unmapped.targets.filter(function (t) { return !t.required; }));
      var shown = ordered.slice(0, 10).map(function (t) { return t.path + (t.required ? ' *' : ''); });
      var targets = shown.join(', ') + (ordered.length > shown.length ? ' … (+' + (ordered.length - shown.length) + ')' : '');
      $('<div class="form-tips cm-unmapped">').css('margin-top', '4px').text(node._('canonical-mapper.suggest.unmappedTargets', { list: targets })).appendTo(box);
    }
    if (unmapped.sources.length > 0) {
      var sources = unmapped.sources.slice(0, 10).join(', ') + (unmapped.sources.length > 10 ? ' … (+' + (unmapped.sources.length - 10) + ')' : '');
      $('<div class="form-tips cm-unused">').css('margin-top', '4px').text(node._('canonical-mapper.suggest.unusedSources', { list: sources })).appendTo(box);
    }
  }

  function suggest(node) {
    var box = $('#cm-suggestions').text('…');
    var sample;
    try { sample = JSON.parse($('#cm-sample').val() || 'null'); } catch (e) { box.text('sample: ' + e.message); return; }
    var schema = $('#cm-suggest-target').val();
    if (schema === '_odoo') {
      var model = $('#cm-suggest-model').val().trim();
      if (!model) { box.text(node._('canonical-mapper.suggest.needsModel')); return; }
      if (!connectionId()) { box.text(node._('canonical-mapper.suggest.needsConnection')); return; }
      schema = { odooModel: model, connection: connectionId() };
    }
    $.ajax({ url: 'canonical-mapper/suggest', type: 'POST', contentType: 'application/json', data: JSON.stringify({ sample: sample, schema: schema }) })
      .done(function (data) { showSuggestions(node, data); })
      .fail(function (xhr) { showSuggestions(node, failure(xhr)); });
  }

  function prepare(node) {
    $('#node-input-rules-container').css('min-height', '150px').css('min-width', '450px').editableList({
      addItem: function (container, _index, rule) {
        rule = rule || {};
        var row = $('<div style="display: flex; gap: 4px; align-items: center"></div>').appendTo(container);
        $('<input type="text" class="cm-target" placeholder="target e.g. lines[0].sku" style="width: 28%">').val(rule.target || '').appendTo(row);
        var source = $('<input type="text" class="cm-source" style="width: 100%">');
        $('<div style="flex: 1"></div>').append(source).appendTo(row);
        var typed = sourceToTyped(rule.source);
        source.typedInput({ default: 'path', types: [PATH_TYPE, 'str', 'num', 'bool', 'json', 'jsonata'] });
        source.typedInput('type', typed.type);
        source.typedInput('value', typed.value);
        var transforms = $('<input type="text" class="cm-transforms" placeholder=\'["trim"]\' style="width: 24%">')
          .val(rule.transforms ? JSON.stringify(rule.transforms) : '').appendTo(row);
        var picker = $('<select style="width: 90px"><option value="">+ transform</option></select>').appendTo(row);
        TRANSFORMS.forEach(function (t) { $('<option>').val(t).text(t).appendTo(picker); });
        picker.on('change', function () {
          var name = picker.val();
          if (!name) return;
          var list;
          try { list = JSON.parse(transforms.val() || '[]'); } catch (e) { list = []; }
          list.push(TEMPLATES[name] ? JSON.parse(JSON.stringify(TEMPLATES[name])) : name);
          transforms.val(JSON.stringify(list));
          picker.val('');
        });
      },
      removable: true,
      sortable: true,
    });
    (Array.isArray(node.rules) ? node.rules : []).forEach(function (rule) { $('#node-input-rules-container').editableList('addItem', rule); });

    if (node.schemaType === 'file') $('#cm-schema-file').val(node.schema);
    if (node.schemaType === 'inline') $('#cm-schema-inline').val(node.schema);
    $('#node-input-mode').on('change', function () {
      showMode();
      if ($('#node-input-mode').val() === 'preset') prefillSample();
    });
    $('#node-input-preset').on('change', function () {
      showPresetHint(node);
      prefillSample();
    });
    $('#node-input-schemaType').on('change', showSchema);
    $('#cm-suggest-target').on('change', function () { $('#cm-suggest-model').toggle($(this).val() === '_odoo'); });
    $('#cm-suggest-model').hide();
    showMode();
    showSchema();
    $.getJSON('canonical-mapper/catalog').done(function (data) { catalog = data; fillCatalog(node); });

    $('#cm-try').on('click', function () {
      var result = $('#cm-result').text('…');
      var sample;
      try { sample = JSON.parse($('#cm-sample').val() || 'null'); } catch (e) { result.text('sample: ' + e.message); return; }
      var type = $('#node-input-schemaType').val();
      var body = {
        sample: sample,
        schema: type === 'none' ? { type: 'none' } : { type: type, value: schemaValue() },
        connection: connectionId(),
        defaultCurrency: $('#node-input-defaultCurrency').val() || undefined,
      };
      if ($('#node-input-mode').val() === 'preset') body.preset = $('#node-input-preset').val();
      else body.rules = readRules();
      $.ajax({ url: 'canonical-mapper/preview', type: 'POST', contentType: 'application/json', data: JSON.stringify(body) })
        .done(function (data) { showResult(result, data, node); })
        .fail(function (xhr) { showResult(result, failure(xhr), node); });
    });
    $('#cm-suggest').on('click', function () { suggest(node); });
  }

  function save(node) {
    node.rules = readRules();
    $('#node-input-schema').val(schemaValue());
  }

  function resize(_node, size) {
    var rows = $('#dialog-form>div:not(.node-input-rules-container-row)');
    var height = size.height;
    rows.each(function () { height -= $(this).outerHeight(true); });
    $('#node-input-rules-container').editableList('height', Math.max(150, height));
  }

  window.CanonicalMapperEditor = { prepare: prepare, save: save, resize: resize };
})();
