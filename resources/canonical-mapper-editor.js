/* Editor helpers for the canonical-mapper node: rule list, schema picker and the "Try with a sample" panel. */
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

  function fillCatalog(node) {
    var presetSelect = $('#node-input-preset').empty();
    catalog.presets.forEach(function (p) { $('<option>').val(p.id).text(p.title).appendTo(presetSelect); });
    presetSelect.val(node.preset);
    var schemaSelect = $('#cm-schema-canonical').empty();
    $('<option>').val('').text(node._('canonical-mapper.schema.presetDefault')).appendTo(schemaSelect);
    catalog.schemas.forEach(function (s) { $('<option>').val(s.id).text(s.title + ' ' + s.version).appendTo(schemaSelect); });
    if (node.schemaType === 'canonical') schemaSelect.val(node.schema || '');
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
    $('#node-input-mode').on('change', showMode);
    $('#node-input-schemaType').on('change', showSchema);
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
        connection: $('#node-input-connection').val() || undefined,
        defaultCurrency: $('#node-input-defaultCurrency').val() || undefined,
      };
      if ($('#node-input-mode').val() === 'preset') body.preset = $('#node-input-preset').val();
      else body.rules = readRules();
      $.ajax({ url: 'canonical-mapper/preview', type: 'POST', contentType: 'application/json', data: JSON.stringify(body) })
        .done(function (data) { result.text(JSON.stringify(data, null, 2)); })
        .fail(function (xhr) { result.text(xhr.responseText || xhr.statusText); });
    });
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
