/*
 * The domain builder of odoo-read: rows of field / operator / value inside AND, OR and NOT groups, a switch to the
 * JSON / expression view (the node's domain typedInput), and a live "N records match" from search_count.
 * Uses window.OdooDomain (odoo-domain.js) for the tree <-> domain conversion and an OdooMiddlewareEditor.Dialog
 * for field names and the count.
 */
(function () {
  'use strict';
  if (window.OdooDomainBuilder) return;
  // Set when a builder is made: the editor loads resource scripts in no fixed order.
  var D = null;
  var VALUE_TYPES = ['str', 'num', 'bool', 'json', 'msg', 'flow', 'global', 'env', 'jsonata'];
  var GROUP_LABELS = { and: 'all of (AND)', or: 'any of (OR)', not: 'none of (NOT)' };

  /**
   * options: dialog (OdooMiddlewareEditor.Dialog), domain / domainType / builder (selectors of the typedInput, its
   * type field and the hidden input keeping the tree), container (element for the builder), toggle (element for
   * the view switch).
   */
  function Builder(options) {
    var self = this;
    D = window.OdooDomain;
    this.options = options;
    this.dialog = options.dialog;
    this.container = $(options.container).addClass('odoo-domain-builder');
    this.domainRow = $(options.domain).closest('.form-row');
    var toggle = $('<span class="button-group odoo-domain-view"></span>').appendTo(options.toggle);
    this.builderButton = $('<button type="button" class="red-ui-button red-ui-button-small toggle selected odoo-domain-view-builder">builder</button>').appendTo(toggle);
    this.jsonButton = $('<button type="button" class="red-ui-button red-ui-button-small toggle odoo-domain-view-json">JSON / expression</button>').appendTo(toggle);
    RED.popover.tooltip(this.builderButton, 'Build the domain from conditions');
    RED.popover.tooltip(this.jsonButton, 'Edit the domain as JSON, or take it from msg / flow / JSONata');
    this.builderButton.on('click', function () { self.showBuilder(true); });
    this.jsonButton.on('click', function () { self.showJson(); });
    this.tree = D.fromSetting($(options.domain).typedInput('value'), $(options.domain).typedInput('type'), $(options.builder).val());
    this.countLine = $('<div class="odoo-domain-count form-tips" style="margin-top:6px; display:none"></div>');
    this.countTimer = null;
    this.dialog.onFields(function () { self.scheduleCount(); });
    if (this.tree) this.showBuilder(false);
    else this.showJson();
  }

  Builder.prototype.showBuilder = function (fromJson) {
    if (fromJson) {
      var tree = D.fromSetting($(this.options.domain).typedInput('value'), $(this.options.domain).typedInput('type'), $(this.options.builder).val());
      if (!tree) {
        RED.notify('This domain cannot be shown as conditions (it comes from the message or is not a list of conditions); it is kept in the JSON / expression view.', 'warning');
        return;
      }
      this.tree = tree;
    }
    this.mode = 'builder';
    this.builderButton.addClass('selected');
    this.jsonButton.removeClass('selected');
    this.domainRow.hide();
    this.container.show();
    this.render();
  };

  Builder.prototype.showJson = function () {
    if (this.mode === 'builder' && !this.write()) return;
    this.mode = 'json';
    this.jsonButton.addClass('selected');
    this.builderButton.removeClass('selected');
    this.container.hide();
    this.domainRow.show();
  };

  /** Writes the tree into the node's domain typedInput; false (and a notice) when a condition is incomplete. */
  Builder.prototype.write = function () {
    if (this.mode !== 'builder') return true;
    try {
      var setting = D.toSetting(this.tree);
      $(this.options.domain).typedInput('type', setting.domainType);
      $(this.options.domain).typedInput('value', setting.domain);
      $(this.options.builder).val(setting.builder);
      return true;
    } catch (err) {
      RED.notify('Domain: ' + err.message, 'error');
      return false;
    }
  };

  Builder.prototype.render = function () {
    this.container.empty();
    this.container.append(this.renderGroup(this.tree, null));
    this.container.append(this.countLine);
    this.scheduleCount();
  };

  Builder.prototype.changed = function () {
    this.scheduleCount();
  };

  Builder.prototype.renderGroup = function (group, parent) {
    var self = this;
    var box = $('<div class="odoo-domain-group" style="border-left: 3px solid var(--red-ui-secondary-border-color, #ccc); padding: 4px 0 4px 8px; margin: 4px 0"></div>');
    box.attr('data-op', group.op);
    var head = $('<div class="odoo-domain-group-head" style="display:flex; gap:6px; align-items:center; margin-bottom:4px"></div>').appendTo(box);
    $('<span>').text('Match').appendTo(head);
    var op = $('<select class="odoo-domain-group-op" style="width:auto"></select>').appendTo(head);
    Object.keys(GROUP_LABELS).forEach(function (k) { $('<option>').val(k).text(GROUP_LABELS[k]).appendTo(op); });
    op.val(group.op).on('change', function () {
      group.op = op.val();
      box.attr('data-op', group.op);
      self.changed();
    });
    var addLeaf = $('<button type="button" class="red-ui-button red-ui-button-small odoo-domain-add-condition"><i class="fa fa-plus"></i> condition</button>').appendTo(head);
    var addGroup = $('<button type="button" class="red-ui-button red-ui-button-small odoo-domain-add-group"><i class="fa fa-plus"></i> group</button>').appendTo(head);
    RED.popover.tooltip(addLeaf, 'Add a condition to this group');
    RED.popover.tooltip(addGroup, 'Add a nested AND / OR / NOT group');
    if (parent) {
      var remove = $('<button type="button" class="red-ui-button red-ui-button-small odoo-domain-remove-group" style="margin-left:auto"><i class="fa fa-times"></i></button>').appendTo(head);
      RED.popover.tooltip(remove, 'Remove this group');
      remove.on('click', function () {
        parent.children.splice(parent.children.indexOf(group), 1);
        self.render();
      });
    }
    var body = $('<div class="odoo-domain-children"></div>').appendTo(box);
    group.children.forEach(function (child) {
      body.append(child.kind === 'group' ? self.renderGroup(child, group) : self.renderLeaf(child, group));
    });
    addLeaf.on('click', function () {
      var leaf = D.leaf('', '=', 'str', '');
      group.children.push(leaf);
      body.append(self.renderLeaf(leaf, group));
      body.find('.odoo-domain-field').last().focus();
    });
    addGroup.on('click', function () {
      var nested = D.group(group.op === 'or' ? 'and' : 'or', [D.leaf('', '=', 'str', '')]);
      group.children.push(nested);
      body.append(self.renderGroup(nested, group));
    });
    return box;
  };

  Builder.prototype.renderLeaf = function (leaf, parent) {
    var self = this;
    var row = $('<div class="odoo-domain-condition" style="display:flex; gap:4px; align-items:center; margin:2px 0"></div>');
    var field = $('<input type="text" class="odoo-domain-field" placeholder="field" style="width:30%">').val(leaf.field).appendTo(row);
    var op = $('<select class="odoo-domain-operator" style="width:95px"></select>').appendTo(row);
    D.OPERATORS.forEach(function (o) { $('<option>').val(o).text(o).appendTo(op); });
    op.val(leaf.operator);
    var valueWrap = $('<div style="flex:1; min-width:0"></div>').appendTo(row);
    var value = $('<input type="text" class="odoo-domain-value" style="width:100%">').appendTo(valueWrap);
    var remove = $('<button type="button" class="red-ui-button red-ui-button-small odoo-domain-remove-condition"><i class="fa fa-times"></i></button>').appendTo(row);
    RED.popover.tooltip(remove, 'Remove this condition');
    value.typedInput({ types: VALUE_TYPES, default: leaf.type });
    value.typedInput('type', leaf.type);
    value.typedInput('value', leaf.value);
    var unknown = $('<div class="odoo-domain-unknown form-tips" style="display:none; color: var(--red-ui-text-color-error, #d6615f)"></div>');
    field.autoComplete({
      minLength: 0,
      search: function (text, done) {
        var q = text.trim().toLowerCase();
        done(self.dialog.fields().filter(function (f) { return f.name.toLowerCase().indexOf(q) >= 0 || f.label.toLowerCase().indexOf(q) >= 0; }).slice(0, 50)
          .map(function (f) { return { value: f.name, label: window.OdooMiddlewareEditor.completionLabel(f.name, f.label, f.type) }; }));
      },
    });
    var checkField = function () {
      var fields = self.dialog.fields();
      var base = leaf.field.split('.')[0];
      var missing = fields.length > 0 && base !== '' && !fields.some(function (f) { return f.name === base; });
      unknown.text(self.dialog.model() + ' has no field ' + base).toggle(missing);
    };
    field.on('change keyup', function () {
      leaf.field = field.val().trim();
      checkField();
      self.changed();
    });
    op.on('change', function () {
      leaf.operator = op.val();
      self.changed();
    });
    value.on('change', function () {
      leaf.type = value.typedInput('type');
      leaf.value = value.typedInput('value');
      self.changed();
    });
    remove.on('click', function () {
      parent.children.splice(parent.children.indexOf(leaf), 1);
      wrap.remove();
      self.changed();
    });
    var wrap = $('<div></div>').append(row).append(unknown);
    checkField();
    return wrap;
  };

  Builder.prototype.scheduleCount = function () {
    var self = this;
    clearTimeout(this.countTimer);
    this.countTimer = setTimeout(function () { self.count(); }, 400);
  };

  /** Asks Odoo how many records the conditions match now (only when every value is a constant). */
  Builder.prototype.count = function () {
    var self = this;
    if (this.mode !== 'builder' || !this.tree) return;
    if (!this.dialog.current) {
      this.countLine.text('').hide();
      return;
    }
    this.countLine.show();
    if (D.isDynamic(this.tree)) {
      this.countLine.attr('data-count', '').text('Values come from the message: the count is known when a message arrives.');
      return;
    }
    var domain;
    try {
      domain = D.toDomain(this.tree);
    } catch (err) {
      this.countLine.attr('data-count', '').text(err.message);
      return;
    }
    var asked = JSON.stringify(domain);
    this.asked = asked;
    this.countLine.text('Counting…');
    this.dialog.count(domain).then(function (n) {
      if (self.asked !== asked) return;
      self.countLine.attr('data-count', String(n)).text(n + (n === 1 ? ' record matches' : ' records match') + ' in ' + self.dialog.model() + ' now');
    }, function (err) {
      if (self.asked !== asked) return;
      self.countLine.attr('data-count', '').text('No count: ' + err.message);
    });
  };

  window.OdooDomainBuilder = { Builder: Builder };
})();
