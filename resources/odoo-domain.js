/*
 * Odoo domains as the editor's domain builder sees them: a tree of AND / OR / NOT groups holding
 * field / operator / value conditions, to and from Odoo's prefix notation. A condition whose value comes from the
 * message, context, env or JSONata turns the domain into a JSONata expression that builds it at run time.
 * Loaded by the editor (window.OdooDomain) and by the unit tests (CommonJS).
 */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.OdooDomain = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var OPERATORS = ['=', '!=', '>', '>=', '<', '<=', 'ilike', 'not ilike', '=ilike', 'like', 'not like', 'in', 'not in', 'child_of', 'parent_of', 'any', 'not any'];
  var CONSTANT_TYPES = ['str', 'num', 'bool', 'json'];
  var DYNAMIC_TYPES = ['msg', 'flow', 'global', 'env', 'jsonata'];
  var GROUP_OPS = { and: '&', or: '|' };

  function group(op, children) {
    return { kind: 'group', op: op, children: children || [] };
  }

  function leaf(field, operator, type, value) {
    return { kind: 'leaf', field: field || '', operator: operator || '=', type: type || 'str', value: value === undefined ? '' : value };
  }

  /** A JSON value as the typedInput (type, text) pair a condition row shows. */
  function typedOf(value) {
    if (typeof value === 'string') return { type: 'str', value: value };
    if (typeof value === 'number') return { type: 'num', value: String(value) };
    if (typeof value === 'boolean') return { type: 'bool', value: String(value) };
    return { type: 'json', value: JSON.stringify(value) };
  }

  function constantOf(node) {
    switch (node.type) {
      case 'num': {
        var n = Number(node.value);
        if (node.value === '' || !isFinite(n)) throw new Error('"' + node.value + '" is not a number (field ' + node.field + ')');
        return n;
      }
      case 'bool': return node.value === true || node.value === 'true';
      case 'json':
        try { return JSON.parse(node.value); } catch (e) { throw new Error('the value of ' + node.field + ' is not valid JSON: ' + e.message); }
      default: return String(node.value);
    }
  }

  function isTerm(x) {
    return Array.isArray(x) && x.length === 3 && typeof x[0] === 'string' && typeof x[1] === 'string';
  }

  /** Odoo prefix notation to a tree; throws on a term it cannot read. The top level is an implicit AND. */
  function fromDomain(domain) {
    if (!Array.isArray(domain)) throw new Error('a domain is a list');
    var i = 0;
    function next() {
      if (i >= domain.length) throw new Error('the domain ends where an operand was expected');
      var t = domain[i++];
      if (t === '&' || t === '|') {
        var a = next();
        var b = next();
        return merge(t === '&' ? 'and' : 'or', [a, b]);
      }
      if (t === '!') {
        var c = next();
        return group('not', c.kind === 'group' && c.op === 'and' ? c.children : [c]);
      }
      if (isTerm(t)) {
        var typed = typedOf(t[2]);
        return leaf(t[0], t[1], typed.type, typed.value);
      }
      throw new Error('cannot read ' + JSON.stringify(t) + ' as a condition');
    }
    var top = [];
    while (i < domain.length) top.push(next());
    return merge('and', top);
  }

  function merge(op, items) {
    var children = [];
    items.forEach(function (item) {
      if (item.kind === 'group' && item.op === op && op !== 'not') children.push.apply(children, item.children);
      else children.push(item);
    });
    return group(op, children);
  }

  function isDynamic(node) {
    if (node.kind === 'leaf') return DYNAMIC_TYPES.indexOf(node.type) >= 0;
    return node.children.some(isDynamic);
  }

  /** Serialises a tree with `term` turning each condition into its output form. */
  function serialise(tree, term, top) {
    var out = [];
    function emit(node) {
      if (node.kind === 'leaf') {
        if (!node.field) throw new Error('a condition has no field');
        out.push(term(node));
        return true;
      }
      var kids = node.children.filter(function (c) { return c.kind === 'leaf' || countLeaves(c) > 0; });
      if (kids.length === 0) return false;
      if (node.op === 'not') {
        out.push('"!"');
        if (kids.length > 1) for (var k = 1; k < kids.length; k++) out.push('"&"');
      } else {
        for (var j = 1; j < kids.length; j++) out.push(JSON.stringify(GROUP_OPS[node.op]));
      }
      kids.forEach(emit);
      return true;
    }
    if (top && tree.kind === 'group' && tree.op === 'and') tree.children.filter(function (c) { return c.kind === 'leaf' || countLeaves(c) > 0; }).forEach(emit);
    else emit(tree);
    return '[' + out.join(', ') + ']';
  }

  function countLeaves(node) {
    if (node.kind === 'leaf') return 1;
    return node.children.reduce(function (n, c) { return n + countLeaves(c); }, 0);
  }

  /** The JSON domain of a tree whose values are all constants. */
  function toDomain(tree) {
    if (isDynamic(tree)) throw new Error('the domain takes values from the message: it is a JSONata expression');
    return JSON.parse(serialise(tree, function (node) { return JSON.stringify([node.field, node.operator, constantOf(node)]); }, true));
  }

  var SIMPLE_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

  function jsonataValue(node) {
    switch (node.type) {
      case 'msg':
        if (!SIMPLE_PATH.test(node.value)) throw new Error('msg.' + node.value + ' (field ' + node.field + ') is not a plain property path; use a JSONata value');
        return node.value;
      case 'flow': return '$flowContext(' + JSON.stringify(node.value) + ')';
      case 'global': return '$globalContext(' + JSON.stringify(node.value) + ')';
      case 'env': return '$env(' + JSON.stringify(node.value) + ')';
      case 'jsonata': return '(' + node.value + ')';
      default: return JSON.stringify(constantOf(node));
    }
  }

  /** A JSONata expression that builds the domain from the message at run time. */
  function toJsonata(tree) {
    return serialise(tree, function (node) { return '[' + JSON.stringify(node.field) + ', ' + JSON.stringify(node.operator) + ', ' + jsonataValue(node) + ']'; }, true);
  }

  /** What the node saves: {domain, domainType} for the runtime, plus the tree when the domain is an expression. */
  function toSetting(tree) {
    if (isDynamic(tree)) return { domain: toJsonata(tree), domainType: 'jsonata', builder: JSON.stringify(tree) };
    return { domain: JSON.stringify(toDomain(tree)), domainType: 'json', builder: '' };
  }

  /** The tree to show for a saved setting, or null when only the JSON / expression view can show it. */
  function fromSetting(domain, domainType, builder) {
    try {
      if (domainType === 'json') return fromDomain(domain === '' || domain === undefined ? [] : JSON.parse(domain));
      if (domainType === 'jsonata' && builder) {
        var tree = JSON.parse(builder);
        return toJsonata(tree) === domain ? tree : null;
      }
    } catch (e) {
      return null;
    }
    return null;
  }

  return {
    OPERATORS: OPERATORS,
    CONSTANT_TYPES: CONSTANT_TYPES,
    DYNAMIC_TYPES: DYNAMIC_TYPES,
    group: group,
    leaf: leaf,
    fromDomain: fromDomain,
    toDomain: toDomain,
    toJsonata: toJsonata,
    toSetting: toSetting,
    fromSetting: fromSetting,
    isDynamic: isDynamic,
  };
});
