/*
 * The values editor of odoo-write: a list of "Odoo field <- value" rows. Fields come from fields_get (with their
 * type and whether create needs them), each value from any typedInput; a many2one can be found by name,
 * external ID or email, a one2many/many2many is built from an array in the message (one line per element, with
 * "line field <- element property" rows). The rows are saved as the node's `values`; none means msg.payload is
 * written as it is.
 */
(function () {
  'use strict';
  if (window.OdooWriteValues) return;
  var VALUE_TYPES = ['str', 'num', 'bool', 'json', 'date', 'msg', 'flow', 'global', 'env', 'jsonata'];
  var RELATIONAL = ['many2one', 'one2many', 'many2many'];
  var LOOKUP_LABELS = { id: 'as id', name: 'by name', xmlid: 'by external ID', email: 'by email' };
  var LINE = /^([a-zA-Z_]\w*)\s*<-\s*([^\s]+)(?:\s+by\s+(name|xmlid|email))?$/;

  function linesToText(lines) {
    return (lines || []).map(function (l) { return l.field + ' <- ' + l.path + (l.lookup && l.lookup !== 'id' ? ' by ' + l.lookup : ''); }).join('\n');
  }

  /** Parses the line rows; returns {lines, errors}. */
  function parseLines(text) {
    var lines = [];
    var errors = [];
    String(text || '').split('\n').forEach(function (raw) {
      var s = raw.trim();
      if (!s) return;
      var m = LINE.exec(s);
      if (!m) errors.push('"' + s + '" is not "line_field <- property [by name|xmlid|email]"');
      else lines.push({ field: m[1], path: m[2], lookup: m[3] || undefined });
    });
    return { lines: lines, errors: errors };
  }

  /**
   * options: dialog (OdooMiddlewareEditor.Dialog), list (the <ol> element), required (element for the
   * required-fields line), operation (selector of the operation select), values (the saved rules).
   */
  function Editor(options) {
    var self = this;
    this.dialog = options.dialog;
    this.operation = $(options.operation);
    this.requiredLine = $(options.required);
    this.list = $(options.list).editableList({
      addButton: 'field',
      removable: true,
      sortable: true,
      height: 'auto',
      addItem: function (row, index, rule) { self.renderRow(row, rule); },
    });
    (options.values || []).forEach(function (rule) { self.list.editableList('addItem', rule); });
    this.dialog.onFields(function () { self.refreshRows(); });
    this.operation.on('change', function () { self.checkRequired(); });
  }

  Editor.prototype.renderRow = function (row, rule) {
    var self = this;
    rule = rule || {};
    var top = $('<div style="display:flex; gap:4px; align-items:center"></div>').appendTo(row);
    var field = $('<input type="text" class="odoo-values-field" placeholder="Odoo field" style="width:30%">').val(rule.field || '').appendTo(top);
    $('<i class="fa fa-arrow-left" style="opacity:0.6"></i>').appendTo(top);
    var valueWrap = $('<div style="flex:1; min-width:0"></div>').appendTo(top);
    var value = $('<input type="text" class="odoo-values-value" style="width:100%">').appendTo(valueWrap);
    value.typedInput({ types: VALUE_TYPES, default: rule.type || 'msg' });
    value.typedInput('type', rule.type || 'msg');
    value.typedInput('value', rule.value === undefined ? 'payload' : rule.value);
    var lookup = $('<select class="odoo-values-lookup" style="width:120px"></select>').appendTo(top);
    Object.keys(LOOKUP_LABELS).forEach(function (k) { $('<option>').val(k).text(LOOKUP_LABELS[k]).appendTo(lookup); });
    lookup.val(rule.lookup || 'id');
    var info = $('<div class="odoo-values-info" style="margin-top:2px; font-size:0.9em; opacity:0.85"></div>').appendTo(row);
    var linesBox = $('<div class="odoo-values-lines" style="margin-top:4px"></div>').appendTo(row);
    $('<div style="font-size:0.9em; opacity:0.85">').text('One line per element of the array; each line field from a property of the element:').appendTo(linesBox);
    var lines = $('<textarea class="odoo-values-lines-text" rows="2" style="width:100%; font-family:monospace" placeholder="product_id <- sku by name&#10;product_uom_qty <- qty"></textarea>').val(linesToText(rule.lines)).appendTo(linesBox);
    var linesError = $('<div class="odoo-values-lines-error" style="font-size:0.9em; color: var(--red-ui-text-color-error, #d6615f)"></div>').appendTo(linesBox);
    row.data('rule', rule);
    field.autoComplete({
      minLength: 0,
      search: function (text, done) {
        var q = text.trim().toLowerCase();
        done(self.dialog.fields().filter(function (f) { return !f.readonly && (f.name.toLowerCase().indexOf(q) >= 0 || f.label.toLowerCase().indexOf(q) >= 0); }).slice(0, 50)
          .map(function (f) { return { value: f.name, label: window.OdooMiddlewareEditor.completionLabel(f.name, f.label + (f.required ? ' *' : ''), f.type) }; }));
      },
    });
    var update = function () {
      var name = field.val().trim();
      var f = self.dialog.field(name);
      var fields = self.dialog.fields();
      var type = f ? f.type : rule.fieldType;
      var relational = RELATIONAL.indexOf(type) >= 0;
      lookup.toggle(relational);
      linesBox.toggle(type === 'one2many' || type === 'many2many');
      row.attr('data-field-type', type || '');
      if (f) {
        info.css('color', '').text(f.label + ' · ' + f.type + (f.relation ? ' → ' + f.relation : '') + (f.required ? ' · required' : '') + (f.readonly ? ' · read-only' : ''));
        if (f.relation && (type === 'one2many' || type === 'many2many')) self.dialog.fieldsOf(f.relation);
      } else if (name && fields.length) {
        info.css('color', 'var(--red-ui-text-color-error, #d6615f)').text(self.dialog.model() + ' has no field ' + name);
      } else {
        info.css('color', '').text(type ? type + (rule.relation ? ' → ' + rule.relation : '') : '');
      }
      var parsed = parseLines(lines.val());
      linesError.text(parsed.errors.join('; '));
      self.checkRequired();
    };
    field.on('change keyup', update);
    lines.on('change keyup', update);
    row.data('read', function () {
      var name = field.val().trim();
      if (!name) return null;
      var f = self.dialog.field(name);
      var out = { field: name, type: value.typedInput('type'), value: value.typedInput('value') };
      var fieldType = f ? f.type : rule.fieldType;
      var relation = f ? f.relation : rule.relation;
      if (fieldType) out.fieldType = fieldType;
      if (relation) out.relation = relation;
      if (RELATIONAL.indexOf(fieldType) >= 0 && lookup.val() !== 'id') out.lookup = lookup.val();
      if (fieldType === 'one2many' || fieldType === 'many2many') {
        var parsed = parseLines(lines.val()).lines;
        if (parsed.length) {
          var lineFields = relation ? self.dialog.cachedFieldsOf(relation) : null;
          out.lines = parsed.map(function (l) {
            var before = (rule.lines || []).filter(function (o) { return o.field === l.field; })[0];
            var lf = lineFields ? lineFields.filter(function (x) { return x.name === l.field; })[0] : null;
            var lineRelation = lf ? lf.relation : before && before.relation;
            var line = { field: l.field, path: l.path };
            if (l.lookup) line.lookup = l.lookup;
            if (lineRelation) line.relation = lineRelation;
            return line;
          });
        }
      }
      return out;
    });
    row.data('update', update);
    update();
  };

  Editor.prototype.refreshRows = function () {
    this.list.editableList('items').each(function () {
      var update = $(this).data('update');
      if (update) update();
    });
    this.checkRequired();
  };

  Editor.prototype.rules = function () {
    var rules = [];
    this.list.editableList('items').each(function () {
      var read = $(this).data('read');
      var rule = read ? read() : null;
      if (rule) rules.push(rule);
    });
    return rules;
  };

  /** Names the fields Odoo requires on create that no row sets (only with rows and a field list). */
  Editor.prototype.checkRequired = function () {
    var op = this.operation.val();
    var fields = this.dialog.fields();
    var rules = this.rules();
    if ((op !== 'create' && op !== 'upsert') || !fields.length || !rules.length) {
      this.requiredLine.hide();
      return;
    }
    var set = rules.map(function (r) { return r.field; });
    var missing = fields.filter(function (f) { return f.required && !f.hasDefault && !f.readonly && set.indexOf(f.name) < 0; });
    this.requiredLine.show()
      .toggleClass('odoo-values-missing', missing.length > 0)
      .css('color', missing.length ? 'var(--red-ui-text-color-error, #d6615f)' : '')
      .text(missing.length ? 'Required for create, not set: ' + missing.map(function (f) { return f.name + ' (' + f.label + ')'; }).join(', ') : 'Every field create requires is set.');
  };

  window.OdooWriteValues = { Editor: Editor, parseLines: parseLines };
})();
