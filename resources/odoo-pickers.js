/*
 * Editor pickers fed by the live Odoo behind a deployed odoo-connection: model search over ir.model, fields from
 * fields_get (label, technical name, type, required), the model's common actions, a live record count. Answers
 * come from the connection's admin endpoints (cached there for a minute; the refresh button asks again). When Odoo
 * or the connection is not reachable every input stays free text and the dialog says why.
 */
(function () {
  'use strict';
  if (window.OdooMiddlewareEditor) return;

  var answers = {};
  // After a refresh, each distinct list is asked of Odoo once more past the server's cache.
  var refreshed = {};
  // Fields per "connection|model", kept for the nodes' validate functions (unknown fields are flagged).
  var knownFields = {};

  function connectionOf(selector) {
    var id = $(selector).val();
    return id && id !== '_ADD_' ? id : '';
  }

  function errorOf(xhr) {
    var body = xhr.responseJSON;
    if (body && body.error && body.error.message) return new Error(body.error.message);
    return new Error(xhr.status ? 'HTTP ' + xhr.status : 'Node-RED did not answer');
  }

  function get(connection, path, params, refresh) {
    var key = connection + '|' + path + '|' + JSON.stringify(params);
    if (!refresh && answers[key]) return answers[key];
    if (refreshed[connection] && !refreshed[connection][key]) refresh = true;
    if (refreshed[connection]) refreshed[connection][key] = true;
    var query = $.extend({}, params, refresh ? { refresh: '1' } : {});
    var answer = new Promise(function (resolve, reject) {
      $.ajax({ url: 'odoo-connection/' + encodeURIComponent(connection) + '/' + path, data: query, dataType: 'json' })
        .done(resolve)
        .fail(function (xhr) { reject(errorOf(xhr)); });
    });
    answers[key] = answer;
    answer.catch(function () { if (answers[key] === answer) delete answers[key]; });
    return answer;
  }

  function count(connection, model, domain) {
    return new Promise(function (resolve, reject) {
      $.ajax({
        url: 'odoo-connection/' + encodeURIComponent(connection) + '/count',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ model: model, domain: domain }),
        dataType: 'json',
      }).done(function (body) { resolve(body.count); }).fail(function (xhr) { reject(errorOf(xhr)); });
    });
  }

  function splitNames(text) {
    return String(text || '').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function completionLabel(main, detail, extra) {
    var el = $('<div>', { class: 'odoo-picker-completion', style: 'display:flex; gap:8px; align-items:baseline' });
    $('<span>', { style: 'font-family: monospace' }).text(main).appendTo(el);
    if (detail) $('<span>', { style: 'opacity: 0.7' }).text(detail).appendTo(el);
    if (extra) $('<span>', { style: 'margin-left:auto; opacity: 0.6; font-size: 0.9em' }).text(extra).appendTo(el);
    return el;
  }

  function fieldDetail(f) {
    return f.label + (f.required ? ' *' : '');
  }

  /**
   * Ties the pickers of one dialog to its connection and model inputs. `options`: connection (selector),
   * model / modelType (selectors of the model typedInput and its type field), status (element the status line
   * and refresh button go in).
   */
  function Dialog(options) {
    var self = this;
    this.options = options;
    this.listeners = [];
    this.current = null;
    this.status = $('<div>', { class: 'odoo-picker-status form-tips', style: 'display:flex; align-items:center; gap:6px; padding:4px 8px; margin-bottom:8px' }).appendTo(options.status);
    this.statusText = $('<span>', { class: 'odoo-picker-status-text', style: 'flex:1' }).appendTo(this.status);
    this.refreshButton = $('<button type="button" class="red-ui-button red-ui-button-small odoo-picker-refresh"><i class="fa fa-refresh"></i></button>')
      .appendTo(this.status)
      .on('click', function () { self.refresh(); });
    RED.popover.tooltip(this.refreshButton, 'Load models and fields from Odoo again');
    var timer = null;
    var later = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.load(); }, 300);
    };
    $(options.connection).on('change', later);
    $(options.model).on('change', later);
    this.load();
  }

  Dialog.prototype.connection = function () { return connectionOf(this.options.connection); };

  /** Forgets what this connection answered (models, fields, methods) and loads the fields again from Odoo. */
  Dialog.prototype.refresh = function () {
    var connection = this.connection();
    Object.keys(answers).forEach(function (key) {
      if (key.indexOf(connection + '|') === 0) delete answers[key];
    });
    refreshed[connection] = {};
    return this.load();
  };

  /** The model typed in the dialog, or '' when it comes from the message / context / JSONata. */
  Dialog.prototype.model = function () {
    var input = $(this.options.model);
    var type = input.typedInput('type');
    return type === 'str' ? String(input.typedInput('value') || '').trim() : '';
  };

  Dialog.prototype.say = function (text, kind) {
    this.statusText.text(text);
    this.status.attr('data-state', kind);
    this.status.css('color', kind === 'error' ? 'var(--red-ui-text-color-error, #d6615f)' : '');
  };

  /** Loads the fields of the current model (and checks that Odoo answers). */
  Dialog.prototype.load = function () {
    var self = this;
    var connection = this.connection();
    var model = this.model();
    if (!connection) {
      this.current = null;
      this.say('Pick an Odoo connection to choose models and fields from Odoo; names can be typed meanwhile.', 'idle');
      this.notify();
      return Promise.resolve(null);
    }
    if (!model) {
      this.current = null;
      this.say('Type or pick a model to load its fields.', 'idle');
      this.notify();
      return Promise.resolve(null);
    }
    this.say('Loading fields of ' + model + ' from Odoo…', 'loading');
    var request = get(connection, 'fields', { model: model }, false);
    this.pending = request;
    return request.then(function (answer) {
      if (self.pending !== request) return null;
      self.current = { connection: connection, model: model, fields: answer.items };
      knownFields[connection + '|' + model] = answer.items;
      var loaded = new Date(answer.fetchedAt);
      self.say(answer.items.length + ' fields of ' + model + ' from Odoo (as of ' + loaded.toTimeString().slice(0, 8) + ')', 'ready');
      self.notify();
      return self.current;
    }, function (err) {
      if (self.pending !== request) return null;
      self.current = null;
      self.say('Lists from Odoo unavailable, type names by hand: ' + err.message, 'error');
      self.notify();
      return null;
    });
  };

  Dialog.prototype.onFields = function (listener) {
    this.listeners.push(listener);
    listener(this.current);
  };

  Dialog.prototype.notify = function () {
    var current = this.current;
    this.listeners.forEach(function (l) { l(current); });
  };

  Dialog.prototype.fields = function () {
    return this.current ? this.current.fields : [];
  };

  Dialog.prototype.field = function (name) {
    var all = this.fields();
    for (var i = 0; i < all.length; i++) if (all[i].name === name) return all[i];
    return null;
  };

  /** Fields of another model (a relation's comodel), for line fields of a one2many. */
  Dialog.prototype.fieldsOf = function (model) {
    var connection = this.connection();
    if (!connection || !model) return Promise.resolve([]);
    return get(connection, 'fields', { model: model }, false).then(function (a) {
      knownFields[connection + '|' + model] = a.items;
      return a.items;
    }, function () { return []; });
  };

  Dialog.prototype.cachedFieldsOf = function (model) {
    return knownFields[this.connection() + '|' + model] || null;
  };

  Dialog.prototype.count = function (domain) {
    return count(this.connection(), this.model(), domain);
  };

  /** typedInput type "string" with model search as you type. */
  function modelType(connectionSelector) {
    return {
      value: 'str',
      label: 'string',
      icon: 'red/images/typedInput/az.svg',
      autoComplete: function (value, done) {
        var connection = connectionOf(connectionSelector);
        if (!connection) return done([]);
        get(connection, 'models', { q: value.trim() }, false).then(function (answer) {
          done(answer.items.map(function (m) { return { value: m.model, label: completionLabel(m.model, m.name, m.transient ? 'wizard' : '') }; }));
        }, function () { done([]); });
      },
    };
  }

  /** Completions for a field name typed in `value` (the last name of a comma-separated list when `multi`). */
  function fieldCompletions(dialog, value, multi, storedOnly) {
    var head = '';
    var token = value;
    if (multi) {
      var comma = value.lastIndexOf(',');
      head = comma >= 0 ? value.slice(0, comma + 1) + ' ' : '';
      token = comma >= 0 ? value.slice(comma + 1) : value;
    }
    token = token.trim().toLowerCase();
    var taken = multi ? splitNames(head) : [];
    return dialog.fields().filter(function (f) {
      if (storedOnly && !f.stored) return false;
      if (taken.indexOf(f.name) >= 0) return false;
      return f.name.toLowerCase().indexOf(token) >= 0 || f.label.toLowerCase().indexOf(token) >= 0;
    }).slice(0, 50).map(function (f) {
      return { value: head + f.name, label: completionLabel(f.name, fieldDetail(f), f.type) };
    });
  }

  /** typedInput type "string" completing field names from the dialog's model. */
  function fieldsType(dialog, multi) {
    return {
      value: 'str',
      label: 'string',
      icon: 'red/images/typedInput/az.svg',
      autoComplete: function (value, done) { done(fieldCompletions(dialog, value, multi, false)); },
    };
  }

  /** typedInput type "string" offering the model's common actions; any other public method can be typed. */
  function methodType(dialog) {
    return {
      value: 'str',
      label: 'string',
      icon: 'red/images/typedInput/az.svg',
      autoComplete: function (value, done) {
        var connection = dialog.connection();
        var model = dialog.model();
        if (!connection || !model) return done([]);
        get(connection, 'methods', { model: model }, false).then(function (answer) {
          var token = value.trim().toLowerCase();
          done(answer.items.filter(function (m) { return m.name.indexOf(token) >= 0 || m.label.toLowerCase().indexOf(token) >= 0; })
            .map(function (m) { return { value: m.name, label: completionLabel(m.name, m.label) }; }));
        }, function () { done([]); });
      },
    };
  }

  /** Names in `names` the model does not have (or, with storedOnly, does not store). */
  function unknownNames(fields, names, storedOnly) {
    var byName = {};
    fields.forEach(function (f) { byName[f.name] = f; });
    return names.filter(function (n) { return !byName[n] || (storedOnly && !byName[n].stored); });
  }

  /**
   * A warning under a field input naming the fields the model does not have, and (multi) a "pick" button with a
   * checklist of every field. `input` is a plain input or a typedInput; `typeOf` gives its current type.
   */
  function checkFields(dialog, input, opts) {
    var row = input.closest('.form-row');
    var warning = $('<div>', { class: 'odoo-picker-warning form-tips', style: 'display:none; color: var(--red-ui-text-color-error, #d6615f); margin-top:4px' }).insertAfter(row.children().last());
    var list = null;
    var value = function () { return opts.typed ? input.typedInput('value') : input.val(); };
    var isText = function () { return !opts.typed || input.typedInput('type') === 'str'; };
    var setValue = function (v) {
      if (opts.typed) input.typedInput('value', v);
      else input.val(v).trigger('change');
    };
    function check() {
      var fields = dialog.fields();
      if (!fields.length || !isText()) { warning.hide(); return; }
      var names = opts.multi ? splitNames(value()) : (String(value() || '').trim() ? [String(value()).trim()] : []);
      var unknown = unknownNames(fields, names, false);
      var unstored = opts.storedOnly ? unknownNames(fields, names, true).filter(function (n) { return unknown.indexOf(n) < 0; }) : [];
      var parts = [];
      if (unknown.length) parts.push(dialog.model() + ' has no field ' + unknown.join(', '));
      if (unstored.length) parts.push(unstored.join(', ') + ' is not stored: a key must be a stored field');
      warning.text(parts.join('; ')).toggle(parts.length > 0);
    }
    input.on('change keyup', check);
    if (opts.multi) {
      var button = $('<button type="button" class="red-ui-button odoo-picker-fields-button" style="margin-left:4px"><i class="fa fa-list"></i></button>').insertAfter(row.find('.red-ui-typedInput-container').first());
      RED.popover.tooltip(button, 'Pick fields from Odoo');
      list = $('<div>', { class: 'odoo-picker-field-list', style: 'display:none; margin: 6px 0 0 105px; max-height: 220px; overflow-y: auto; border: 1px solid var(--red-ui-form-input-border-color, #ccc); border-radius: 4px; padding: 4px' }).insertAfter(warning);
      button.on('click', function () {
        if (list.is(':visible')) { list.hide(); return; }
        renderList();
        list.show();
      });
    }
    function renderList() {
      list.empty();
      var fields = dialog.fields();
      if (!fields.length) {
        $('<div>', { class: 'form-tips' }).text('No field list: ' + dialog.statusText.text()).appendTo(list);
        return;
      }
      var chosen = splitNames(value());
      var filter = $('<input type="text" class="odoo-picker-filter" placeholder="filter by name or label" style="width: 100%; margin-bottom: 4px">').appendTo(list);
      var rows = $('<div>').appendTo(list);
      fields.forEach(function (f) {
        var line = $('<label>', { class: 'odoo-picker-field', 'data-field': f.name, style: 'display:flex; gap:8px; width:auto; margin:0; padding:1px 2px; cursor:pointer' }).appendTo(rows);
        var box = $('<input type="checkbox" style="width:auto; margin:0">').prop('checked', chosen.indexOf(f.name) >= 0).appendTo(line);
        $('<span>').text(f.label).appendTo(line);
        $('<code>').text(f.name).appendTo(line);
        $('<span>', { style: 'margin-left:auto; opacity:0.6' }).text(f.type).appendTo(line);
        if (f.required) $('<span>', { title: 'required', style: 'color: var(--red-ui-text-color-error, #d6615f)' }).text('*').appendTo(line);
        box.on('change', function () {
          var names = splitNames(value()).filter(function (n) { return n !== f.name; });
          if (box.prop('checked')) names.push(f.name);
          setValue(names.join(', '));
          check();
        });
      });
      filter.on('keyup', function () {
        var q = filter.val().toLowerCase();
        rows.children().each(function () {
          var el = $(this);
          el.toggle(el.text().toLowerCase().indexOf(q) >= 0);
        });
      });
    }
    if (!opts.typed) {
      input.autoComplete({ search: function (v, done) { done(fieldCompletions(dialog, v, false, opts.storedOnly)); }, minLength: 0 });
    }
    dialog.onFields(function () {
      check();
      if (list && list.is(':visible')) renderList();
    });
    return { check: check };
  }

  /** For a node's validate: a message naming the fields `model` does not have, or true. */
  function validateFields(connection, model, modelType, value, valueType, storedOnly) {
    if (modelType !== 'str' || (valueType && valueType !== 'str')) return true;
    var fields = knownFields[connection + '|' + model];
    if (!fields) return true;
    var unknown = unknownNames(fields, splitNames(value), storedOnly);
    return unknown.length ? model + ' has no ' + (storedOnly ? 'stored ' : '') + 'field ' + unknown.join(', ') : true;
  }

  /** A freshly dropped Odoo node takes the connection when exactly one exists. */
  function pickOnlyConnection(node) {
    if (node.connection) return;
    var found = [];
    RED.nodes.eachConfig(function (c) {
      if (c.type === 'odoo-connection') found.push(c.id);
    });
    if (found.length === 1) node.connection = found[0];
  }

  window.OdooMiddlewareEditor = {
    Dialog: Dialog,
    modelType: modelType,
    fieldsType: fieldsType,
    methodType: methodType,
    checkFields: checkFields,
    validateFields: validateFields,
    pickOnlyConnection: pickOnlyConnection,
    splitNames: splitNames,
    completionLabel: completionLabel,
  };
})();
