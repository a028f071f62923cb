/*! echo-liveview client (github.com/echo-liveview/liveview) | Stimulus 3.2.2 (c) 2023 Basecamp, LLC, MIT license | idiomorph 0.8.0, 0BSD */
(() => {
  // node_modules/@hotwired/stimulus/dist/stimulus.js
  var EventListener = class {
    constructor(eventTarget, eventName, eventOptions) {
      this.eventTarget = eventTarget;
      this.eventName = eventName;
      this.eventOptions = eventOptions;
      this.unorderedBindings = /* @__PURE__ */ new Set();
    }
    connect() {
      this.eventTarget.addEventListener(this.eventName, this, this.eventOptions);
    }
    disconnect() {
      this.eventTarget.removeEventListener(this.eventName, this, this.eventOptions);
    }
    bindingConnected(binding) {
      this.unorderedBindings.add(binding);
    }
    bindingDisconnected(binding) {
      this.unorderedBindings.delete(binding);
    }
    handleEvent(event) {
      const extendedEvent = extendEvent(event);
      for (const binding of this.bindings) {
        if (extendedEvent.immediatePropagationStopped) {
          break;
        } else {
          binding.handleEvent(extendedEvent);
        }
      }
    }
    hasBindings() {
      return this.unorderedBindings.size > 0;
    }
    get bindings() {
      return Array.from(this.unorderedBindings).sort((left, right) => {
        const leftIndex = left.index, rightIndex = right.index;
        return leftIndex < rightIndex ? -1 : leftIndex > rightIndex ? 1 : 0;
      });
    }
  };
  function extendEvent(event) {
    if ("immediatePropagationStopped" in event) {
      return event;
    } else {
      const { stopImmediatePropagation } = event;
      return Object.assign(event, {
        immediatePropagationStopped: false,
        stopImmediatePropagation() {
          this.immediatePropagationStopped = true;
          stopImmediatePropagation.call(this);
        }
      });
    }
  }
  var Dispatcher = class {
    constructor(application2) {
      this.application = application2;
      this.eventListenerMaps = /* @__PURE__ */ new Map();
      this.started = false;
    }
    start() {
      if (!this.started) {
        this.started = true;
        this.eventListeners.forEach((eventListener) => eventListener.connect());
      }
    }
    stop() {
      if (this.started) {
        this.started = false;
        this.eventListeners.forEach((eventListener) => eventListener.disconnect());
      }
    }
    get eventListeners() {
      return Array.from(this.eventListenerMaps.values()).reduce((listeners, map) => listeners.concat(Array.from(map.values())), []);
    }
    bindingConnected(binding) {
      this.fetchEventListenerForBinding(binding).bindingConnected(binding);
    }
    bindingDisconnected(binding, clearEventListeners = false) {
      this.fetchEventListenerForBinding(binding).bindingDisconnected(binding);
      if (clearEventListeners)
        this.clearEventListenersForBinding(binding);
    }
    handleError(error2, message, detail = {}) {
      this.application.handleError(error2, `Error ${message}`, detail);
    }
    clearEventListenersForBinding(binding) {
      const eventListener = this.fetchEventListenerForBinding(binding);
      if (!eventListener.hasBindings()) {
        eventListener.disconnect();
        this.removeMappedEventListenerFor(binding);
      }
    }
    removeMappedEventListenerFor(binding) {
      const { eventTarget, eventName, eventOptions } = binding;
      const eventListenerMap = this.fetchEventListenerMapForEventTarget(eventTarget);
      const cacheKey = this.cacheKey(eventName, eventOptions);
      eventListenerMap.delete(cacheKey);
      if (eventListenerMap.size == 0)
        this.eventListenerMaps.delete(eventTarget);
    }
    fetchEventListenerForBinding(binding) {
      const { eventTarget, eventName, eventOptions } = binding;
      return this.fetchEventListener(eventTarget, eventName, eventOptions);
    }
    fetchEventListener(eventTarget, eventName, eventOptions) {
      const eventListenerMap = this.fetchEventListenerMapForEventTarget(eventTarget);
      const cacheKey = this.cacheKey(eventName, eventOptions);
      let eventListener = eventListenerMap.get(cacheKey);
      if (!eventListener) {
        eventListener = this.createEventListener(eventTarget, eventName, eventOptions);
        eventListenerMap.set(cacheKey, eventListener);
      }
      return eventListener;
    }
    createEventListener(eventTarget, eventName, eventOptions) {
      const eventListener = new EventListener(eventTarget, eventName, eventOptions);
      if (this.started) {
        eventListener.connect();
      }
      return eventListener;
    }
    fetchEventListenerMapForEventTarget(eventTarget) {
      let eventListenerMap = this.eventListenerMaps.get(eventTarget);
      if (!eventListenerMap) {
        eventListenerMap = /* @__PURE__ */ new Map();
        this.eventListenerMaps.set(eventTarget, eventListenerMap);
      }
      return eventListenerMap;
    }
    cacheKey(eventName, eventOptions) {
      const parts = [eventName];
      Object.keys(eventOptions).sort().forEach((key) => {
        parts.push(`${eventOptions[key] ? "" : "!"}${key}`);
      });
      return parts.join(":");
    }
  };
  var defaultActionDescriptorFilters = {
    stop({ event, value }) {
      if (value)
        event.stopPropagation();
      return true;
    },
    prevent({ event, value }) {
      if (value)
        event.preventDefault();
      return true;
    },
    self({ event, value, element }) {
      if (value) {
        return element === event.target;
      } else {
        return true;
      }
    }
  };
  var descriptorPattern = /^(?:(?:([^.]+?)\+)?(.+?)(?:\.(.+?))?(?:@(window|document))?->)?(.+?)(?:#([^:]+?))(?::(.+))?$/;
  function parseActionDescriptorString(descriptorString) {
    const source = descriptorString.trim();
    const matches = source.match(descriptorPattern) || [];
    let eventName = matches[2];
    let keyFilter = matches[3];
    if (keyFilter && !["keydown", "keyup", "keypress"].includes(eventName)) {
      eventName += `.${keyFilter}`;
      keyFilter = "";
    }
    return {
      eventTarget: parseEventTarget(matches[4]),
      eventName,
      eventOptions: matches[7] ? parseEventOptions(matches[7]) : {},
      identifier: matches[5],
      methodName: matches[6],
      keyFilter: matches[1] || keyFilter
    };
  }
  function parseEventTarget(eventTargetName) {
    if (eventTargetName == "window") {
      return window;
    } else if (eventTargetName == "document") {
      return document;
    }
  }
  function parseEventOptions(eventOptions) {
    return eventOptions.split(":").reduce((options, token) => Object.assign(options, { [token.replace(/^!/, "")]: !/^!/.test(token) }), {});
  }
  function stringifyEventTarget(eventTarget) {
    if (eventTarget == window) {
      return "window";
    } else if (eventTarget == document) {
      return "document";
    }
  }
  function camelize(value) {
    return value.replace(/(?:[_-])([a-z0-9])/g, (_, char) => char.toUpperCase());
  }
  function namespaceCamelize(value) {
    return camelize(value.replace(/--/g, "-").replace(/__/g, "_"));
  }
  function capitalize(value) {
    return value.charAt(0).toUpperCase() + value.slice(1);
  }
  function dasherize(value) {
    return value.replace(/([A-Z])/g, (_, char) => `-${char.toLowerCase()}`);
  }
  function tokenize(value) {
    return value.match(/[^\s]+/g) || [];
  }
  function isSomething(object) {
    return object !== null && object !== void 0;
  }
  function hasProperty(object, property) {
    return Object.prototype.hasOwnProperty.call(object, property);
  }
  var allModifiers = ["meta", "ctrl", "alt", "shift"];
  var Action = class {
    constructor(element, index, descriptor, schema) {
      this.element = element;
      this.index = index;
      this.eventTarget = descriptor.eventTarget || element;
      this.eventName = descriptor.eventName || getDefaultEventNameForElement(element) || error("missing event name");
      this.eventOptions = descriptor.eventOptions || {};
      this.identifier = descriptor.identifier || error("missing identifier");
      this.methodName = descriptor.methodName || error("missing method name");
      this.keyFilter = descriptor.keyFilter || "";
      this.schema = schema;
    }
    static forToken(token, schema) {
      return new this(token.element, token.index, parseActionDescriptorString(token.content), schema);
    }
    toString() {
      const eventFilter = this.keyFilter ? `.${this.keyFilter}` : "";
      const eventTarget = this.eventTargetName ? `@${this.eventTargetName}` : "";
      return `${this.eventName}${eventFilter}${eventTarget}->${this.identifier}#${this.methodName}`;
    }
    shouldIgnoreKeyboardEvent(event) {
      if (!this.keyFilter) {
        return false;
      }
      const filters = this.keyFilter.split("+");
      if (this.keyFilterDissatisfied(event, filters)) {
        return true;
      }
      const standardFilter = filters.filter((key) => !allModifiers.includes(key))[0];
      if (!standardFilter) {
        return false;
      }
      if (!hasProperty(this.keyMappings, standardFilter)) {
        error(`contains unknown key filter: ${this.keyFilter}`);
      }
      return this.keyMappings[standardFilter].toLowerCase() !== event.key.toLowerCase();
    }
    shouldIgnoreMouseEvent(event) {
      if (!this.keyFilter) {
        return false;
      }
      const filters = [this.keyFilter];
      if (this.keyFilterDissatisfied(event, filters)) {
        return true;
      }
      return false;
    }
    get params() {
      const params = {};
      const pattern = new RegExp(`^data-${this.identifier}-(.+)-param$`, "i");
      for (const { name, value } of Array.from(this.element.attributes)) {
        const match = name.match(pattern);
        const key = match && match[1];
        if (key) {
          params[camelize(key)] = typecast(value);
        }
      }
      return params;
    }
    get eventTargetName() {
      return stringifyEventTarget(this.eventTarget);
    }
    get keyMappings() {
      return this.schema.keyMappings;
    }
    keyFilterDissatisfied(event, filters) {
      const [meta, ctrl, alt, shift] = allModifiers.map((modifier) => filters.includes(modifier));
      return event.metaKey !== meta || event.ctrlKey !== ctrl || event.altKey !== alt || event.shiftKey !== shift;
    }
  };
  var defaultEventNames = {
    a: () => "click",
    button: () => "click",
    form: () => "submit",
    details: () => "toggle",
    input: (e) => e.getAttribute("type") == "submit" ? "click" : "input",
    select: () => "change",
    textarea: () => "input"
  };
  function getDefaultEventNameForElement(element) {
    const tagName = element.tagName.toLowerCase();
    if (tagName in defaultEventNames) {
      return defaultEventNames[tagName](element);
    }
  }
  function error(message) {
    throw new Error(message);
  }
  function typecast(value) {
    try {
      return JSON.parse(value);
    } catch (o_O) {
      return value;
    }
  }
  var Binding = class {
    constructor(context, action) {
      this.context = context;
      this.action = action;
    }
    get index() {
      return this.action.index;
    }
    get eventTarget() {
      return this.action.eventTarget;
    }
    get eventOptions() {
      return this.action.eventOptions;
    }
    get identifier() {
      return this.context.identifier;
    }
    handleEvent(event) {
      const actionEvent = this.prepareActionEvent(event);
      if (this.willBeInvokedByEvent(event) && this.applyEventModifiers(actionEvent)) {
        this.invokeWithEvent(actionEvent);
      }
    }
    get eventName() {
      return this.action.eventName;
    }
    get method() {
      const method = this.controller[this.methodName];
      if (typeof method == "function") {
        return method;
      }
      throw new Error(`Action "${this.action}" references undefined method "${this.methodName}"`);
    }
    applyEventModifiers(event) {
      const { element } = this.action;
      const { actionDescriptorFilters } = this.context.application;
      const { controller } = this.context;
      let passes = true;
      for (const [name, value] of Object.entries(this.eventOptions)) {
        if (name in actionDescriptorFilters) {
          const filter = actionDescriptorFilters[name];
          passes = passes && filter({ name, value, event, element, controller });
        } else {
          continue;
        }
      }
      return passes;
    }
    prepareActionEvent(event) {
      return Object.assign(event, { params: this.action.params });
    }
    invokeWithEvent(event) {
      const { target, currentTarget } = event;
      try {
        this.method.call(this.controller, event);
        this.context.logDebugActivity(this.methodName, { event, target, currentTarget, action: this.methodName });
      } catch (error2) {
        const { identifier, controller, element, index } = this;
        const detail = { identifier, controller, element, index, event };
        this.context.handleError(error2, `invoking action "${this.action}"`, detail);
      }
    }
    willBeInvokedByEvent(event) {
      const eventTarget = event.target;
      if (event instanceof KeyboardEvent && this.action.shouldIgnoreKeyboardEvent(event)) {
        return false;
      }
      if (event instanceof MouseEvent && this.action.shouldIgnoreMouseEvent(event)) {
        return false;
      }
      if (this.element === eventTarget) {
        return true;
      } else if (eventTarget instanceof Element && this.element.contains(eventTarget)) {
        return this.scope.containsElement(eventTarget);
      } else {
        return this.scope.containsElement(this.action.element);
      }
    }
    get controller() {
      return this.context.controller;
    }
    get methodName() {
      return this.action.methodName;
    }
    get element() {
      return this.scope.element;
    }
    get scope() {
      return this.context.scope;
    }
  };
  var ElementObserver = class {
    constructor(element, delegate) {
      this.mutationObserverInit = { attributes: true, childList: true, subtree: true };
      this.element = element;
      this.started = false;
      this.delegate = delegate;
      this.elements = /* @__PURE__ */ new Set();
      this.mutationObserver = new MutationObserver((mutations) => this.processMutations(mutations));
    }
    start() {
      if (!this.started) {
        this.started = true;
        this.mutationObserver.observe(this.element, this.mutationObserverInit);
        this.refresh();
      }
    }
    pause(callback) {
      if (this.started) {
        this.mutationObserver.disconnect();
        this.started = false;
      }
      callback();
      if (!this.started) {
        this.mutationObserver.observe(this.element, this.mutationObserverInit);
        this.started = true;
      }
    }
    stop() {
      if (this.started) {
        this.mutationObserver.takeRecords();
        this.mutationObserver.disconnect();
        this.started = false;
      }
    }
    refresh() {
      if (this.started) {
        const matches = new Set(this.matchElementsInTree());
        for (const element of Array.from(this.elements)) {
          if (!matches.has(element)) {
            this.removeElement(element);
          }
        }
        for (const element of Array.from(matches)) {
          this.addElement(element);
        }
      }
    }
    processMutations(mutations) {
      if (this.started) {
        for (const mutation of mutations) {
          this.processMutation(mutation);
        }
      }
    }
    processMutation(mutation) {
      if (mutation.type == "attributes") {
        this.processAttributeChange(mutation.target, mutation.attributeName);
      } else if (mutation.type == "childList") {
        this.processRemovedNodes(mutation.removedNodes);
        this.processAddedNodes(mutation.addedNodes);
      }
    }
    processAttributeChange(element, attributeName) {
      if (this.elements.has(element)) {
        if (this.delegate.elementAttributeChanged && this.matchElement(element)) {
          this.delegate.elementAttributeChanged(element, attributeName);
        } else {
          this.removeElement(element);
        }
      } else if (this.matchElement(element)) {
        this.addElement(element);
      }
    }
    processRemovedNodes(nodes) {
      for (const node of Array.from(nodes)) {
        const element = this.elementFromNode(node);
        if (element) {
          this.processTree(element, this.removeElement);
        }
      }
    }
    processAddedNodes(nodes) {
      for (const node of Array.from(nodes)) {
        const element = this.elementFromNode(node);
        if (element && this.elementIsActive(element)) {
          this.processTree(element, this.addElement);
        }
      }
    }
    matchElement(element) {
      return this.delegate.matchElement(element);
    }
    matchElementsInTree(tree = this.element) {
      return this.delegate.matchElementsInTree(tree);
    }
    processTree(tree, processor) {
      for (const element of this.matchElementsInTree(tree)) {
        processor.call(this, element);
      }
    }
    elementFromNode(node) {
      if (node.nodeType == Node.ELEMENT_NODE) {
        return node;
      }
    }
    elementIsActive(element) {
      if (element.isConnected != this.element.isConnected) {
        return false;
      } else {
        return this.element.contains(element);
      }
    }
    addElement(element) {
      if (!this.elements.has(element)) {
        if (this.elementIsActive(element)) {
          this.elements.add(element);
          if (this.delegate.elementMatched) {
            this.delegate.elementMatched(element);
          }
        }
      }
    }
    removeElement(element) {
      if (this.elements.has(element)) {
        this.elements.delete(element);
        if (this.delegate.elementUnmatched) {
          this.delegate.elementUnmatched(element);
        }
      }
    }
  };
  var AttributeObserver = class {
    constructor(element, attributeName, delegate) {
      this.attributeName = attributeName;
      this.delegate = delegate;
      this.elementObserver = new ElementObserver(element, this);
    }
    get element() {
      return this.elementObserver.element;
    }
    get selector() {
      return `[${this.attributeName}]`;
    }
    start() {
      this.elementObserver.start();
    }
    pause(callback) {
      this.elementObserver.pause(callback);
    }
    stop() {
      this.elementObserver.stop();
    }
    refresh() {
      this.elementObserver.refresh();
    }
    get started() {
      return this.elementObserver.started;
    }
    matchElement(element) {
      return element.hasAttribute(this.attributeName);
    }
    matchElementsInTree(tree) {
      const match = this.matchElement(tree) ? [tree] : [];
      const matches = Array.from(tree.querySelectorAll(this.selector));
      return match.concat(matches);
    }
    elementMatched(element) {
      if (this.delegate.elementMatchedAttribute) {
        this.delegate.elementMatchedAttribute(element, this.attributeName);
      }
    }
    elementUnmatched(element) {
      if (this.delegate.elementUnmatchedAttribute) {
        this.delegate.elementUnmatchedAttribute(element, this.attributeName);
      }
    }
    elementAttributeChanged(element, attributeName) {
      if (this.delegate.elementAttributeValueChanged && this.attributeName == attributeName) {
        this.delegate.elementAttributeValueChanged(element, attributeName);
      }
    }
  };
  function add(map, key, value) {
    fetch2(map, key).add(value);
  }
  function del(map, key, value) {
    fetch2(map, key).delete(value);
    prune(map, key);
  }
  function fetch2(map, key) {
    let values2 = map.get(key);
    if (!values2) {
      values2 = /* @__PURE__ */ new Set();
      map.set(key, values2);
    }
    return values2;
  }
  function prune(map, key) {
    const values2 = map.get(key);
    if (values2 != null && values2.size == 0) {
      map.delete(key);
    }
  }
  var Multimap = class {
    constructor() {
      this.valuesByKey = /* @__PURE__ */ new Map();
    }
    get keys() {
      return Array.from(this.valuesByKey.keys());
    }
    get values() {
      const sets = Array.from(this.valuesByKey.values());
      return sets.reduce((values2, set) => values2.concat(Array.from(set)), []);
    }
    get size() {
      const sets = Array.from(this.valuesByKey.values());
      return sets.reduce((size, set) => size + set.size, 0);
    }
    add(key, value) {
      add(this.valuesByKey, key, value);
    }
    delete(key, value) {
      del(this.valuesByKey, key, value);
    }
    has(key, value) {
      const values2 = this.valuesByKey.get(key);
      return values2 != null && values2.has(value);
    }
    hasKey(key) {
      return this.valuesByKey.has(key);
    }
    hasValue(value) {
      const sets = Array.from(this.valuesByKey.values());
      return sets.some((set) => set.has(value));
    }
    getValuesForKey(key) {
      const values2 = this.valuesByKey.get(key);
      return values2 ? Array.from(values2) : [];
    }
    getKeysForValue(value) {
      return Array.from(this.valuesByKey).filter(([_key, values2]) => values2.has(value)).map(([key, _values]) => key);
    }
  };
  var SelectorObserver = class {
    constructor(element, selector, delegate, details) {
      this._selector = selector;
      this.details = details;
      this.elementObserver = new ElementObserver(element, this);
      this.delegate = delegate;
      this.matchesByElement = new Multimap();
    }
    get started() {
      return this.elementObserver.started;
    }
    get selector() {
      return this._selector;
    }
    set selector(selector) {
      this._selector = selector;
      this.refresh();
    }
    start() {
      this.elementObserver.start();
    }
    pause(callback) {
      this.elementObserver.pause(callback);
    }
    stop() {
      this.elementObserver.stop();
    }
    refresh() {
      this.elementObserver.refresh();
    }
    get element() {
      return this.elementObserver.element;
    }
    matchElement(element) {
      const { selector } = this;
      if (selector) {
        const matches = element.matches(selector);
        if (this.delegate.selectorMatchElement) {
          return matches && this.delegate.selectorMatchElement(element, this.details);
        }
        return matches;
      } else {
        return false;
      }
    }
    matchElementsInTree(tree) {
      const { selector } = this;
      if (selector) {
        const match = this.matchElement(tree) ? [tree] : [];
        const matches = Array.from(tree.querySelectorAll(selector)).filter((match2) => this.matchElement(match2));
        return match.concat(matches);
      } else {
        return [];
      }
    }
    elementMatched(element) {
      const { selector } = this;
      if (selector) {
        this.selectorMatched(element, selector);
      }
    }
    elementUnmatched(element) {
      const selectors = this.matchesByElement.getKeysForValue(element);
      for (const selector of selectors) {
        this.selectorUnmatched(element, selector);
      }
    }
    elementAttributeChanged(element, _attributeName) {
      const { selector } = this;
      if (selector) {
        const matches = this.matchElement(element);
        const matchedBefore = this.matchesByElement.has(selector, element);
        if (matches && !matchedBefore) {
          this.selectorMatched(element, selector);
        } else if (!matches && matchedBefore) {
          this.selectorUnmatched(element, selector);
        }
      }
    }
    selectorMatched(element, selector) {
      this.delegate.selectorMatched(element, selector, this.details);
      this.matchesByElement.add(selector, element);
    }
    selectorUnmatched(element, selector) {
      this.delegate.selectorUnmatched(element, selector, this.details);
      this.matchesByElement.delete(selector, element);
    }
  };
  var StringMapObserver = class {
    constructor(element, delegate) {
      this.element = element;
      this.delegate = delegate;
      this.started = false;
      this.stringMap = /* @__PURE__ */ new Map();
      this.mutationObserver = new MutationObserver((mutations) => this.processMutations(mutations));
    }
    start() {
      if (!this.started) {
        this.started = true;
        this.mutationObserver.observe(this.element, { attributes: true, attributeOldValue: true });
        this.refresh();
      }
    }
    stop() {
      if (this.started) {
        this.mutationObserver.takeRecords();
        this.mutationObserver.disconnect();
        this.started = false;
      }
    }
    refresh() {
      if (this.started) {
        for (const attributeName of this.knownAttributeNames) {
          this.refreshAttribute(attributeName, null);
        }
      }
    }
    processMutations(mutations) {
      if (this.started) {
        for (const mutation of mutations) {
          this.processMutation(mutation);
        }
      }
    }
    processMutation(mutation) {
      const attributeName = mutation.attributeName;
      if (attributeName) {
        this.refreshAttribute(attributeName, mutation.oldValue);
      }
    }
    refreshAttribute(attributeName, oldValue) {
      const key = this.delegate.getStringMapKeyForAttribute(attributeName);
      if (key != null) {
        if (!this.stringMap.has(attributeName)) {
          this.stringMapKeyAdded(key, attributeName);
        }
        const value = this.element.getAttribute(attributeName);
        if (this.stringMap.get(attributeName) != value) {
          this.stringMapValueChanged(value, key, oldValue);
        }
        if (value == null) {
          const oldValue2 = this.stringMap.get(attributeName);
          this.stringMap.delete(attributeName);
          if (oldValue2)
            this.stringMapKeyRemoved(key, attributeName, oldValue2);
        } else {
          this.stringMap.set(attributeName, value);
        }
      }
    }
    stringMapKeyAdded(key, attributeName) {
      if (this.delegate.stringMapKeyAdded) {
        this.delegate.stringMapKeyAdded(key, attributeName);
      }
    }
    stringMapValueChanged(value, key, oldValue) {
      if (this.delegate.stringMapValueChanged) {
        this.delegate.stringMapValueChanged(value, key, oldValue);
      }
    }
    stringMapKeyRemoved(key, attributeName, oldValue) {
      if (this.delegate.stringMapKeyRemoved) {
        this.delegate.stringMapKeyRemoved(key, attributeName, oldValue);
      }
    }
    get knownAttributeNames() {
      return Array.from(new Set(this.currentAttributeNames.concat(this.recordedAttributeNames)));
    }
    get currentAttributeNames() {
      return Array.from(this.element.attributes).map((attribute) => attribute.name);
    }
    get recordedAttributeNames() {
      return Array.from(this.stringMap.keys());
    }
  };
  var TokenListObserver = class {
    constructor(element, attributeName, delegate) {
      this.attributeObserver = new AttributeObserver(element, attributeName, this);
      this.delegate = delegate;
      this.tokensByElement = new Multimap();
    }
    get started() {
      return this.attributeObserver.started;
    }
    start() {
      this.attributeObserver.start();
    }
    pause(callback) {
      this.attributeObserver.pause(callback);
    }
    stop() {
      this.attributeObserver.stop();
    }
    refresh() {
      this.attributeObserver.refresh();
    }
    get element() {
      return this.attributeObserver.element;
    }
    get attributeName() {
      return this.attributeObserver.attributeName;
    }
    elementMatchedAttribute(element) {
      this.tokensMatched(this.readTokensForElement(element));
    }
    elementAttributeValueChanged(element) {
      const [unmatchedTokens, matchedTokens] = this.refreshTokensForElement(element);
      this.tokensUnmatched(unmatchedTokens);
      this.tokensMatched(matchedTokens);
    }
    elementUnmatchedAttribute(element) {
      this.tokensUnmatched(this.tokensByElement.getValuesForKey(element));
    }
    tokensMatched(tokens) {
      tokens.forEach((token) => this.tokenMatched(token));
    }
    tokensUnmatched(tokens) {
      tokens.forEach((token) => this.tokenUnmatched(token));
    }
    tokenMatched(token) {
      this.delegate.tokenMatched(token);
      this.tokensByElement.add(token.element, token);
    }
    tokenUnmatched(token) {
      this.delegate.tokenUnmatched(token);
      this.tokensByElement.delete(token.element, token);
    }
    refreshTokensForElement(element) {
      const previousTokens = this.tokensByElement.getValuesForKey(element);
      const currentTokens = this.readTokensForElement(element);
      const firstDifferingIndex = zip(previousTokens, currentTokens).findIndex(([previousToken, currentToken]) => !tokensAreEqual(previousToken, currentToken));
      if (firstDifferingIndex == -1) {
        return [[], []];
      } else {
        return [previousTokens.slice(firstDifferingIndex), currentTokens.slice(firstDifferingIndex)];
      }
    }
    readTokensForElement(element) {
      const attributeName = this.attributeName;
      const tokenString = element.getAttribute(attributeName) || "";
      return parseTokenString(tokenString, element, attributeName);
    }
  };
  function parseTokenString(tokenString, element, attributeName) {
    return tokenString.trim().split(/\s+/).filter((content) => content.length).map((content, index) => ({ element, attributeName, content, index }));
  }
  function zip(left, right) {
    const length = Math.max(left.length, right.length);
    return Array.from({ length }, (_, index) => [left[index], right[index]]);
  }
  function tokensAreEqual(left, right) {
    return left && right && left.index == right.index && left.content == right.content;
  }
  var ValueListObserver = class {
    constructor(element, attributeName, delegate) {
      this.tokenListObserver = new TokenListObserver(element, attributeName, this);
      this.delegate = delegate;
      this.parseResultsByToken = /* @__PURE__ */ new WeakMap();
      this.valuesByTokenByElement = /* @__PURE__ */ new WeakMap();
    }
    get started() {
      return this.tokenListObserver.started;
    }
    start() {
      this.tokenListObserver.start();
    }
    stop() {
      this.tokenListObserver.stop();
    }
    refresh() {
      this.tokenListObserver.refresh();
    }
    get element() {
      return this.tokenListObserver.element;
    }
    get attributeName() {
      return this.tokenListObserver.attributeName;
    }
    tokenMatched(token) {
      const { element } = token;
      const { value } = this.fetchParseResultForToken(token);
      if (value) {
        this.fetchValuesByTokenForElement(element).set(token, value);
        this.delegate.elementMatchedValue(element, value);
      }
    }
    tokenUnmatched(token) {
      const { element } = token;
      const { value } = this.fetchParseResultForToken(token);
      if (value) {
        this.fetchValuesByTokenForElement(element).delete(token);
        this.delegate.elementUnmatchedValue(element, value);
      }
    }
    fetchParseResultForToken(token) {
      let parseResult = this.parseResultsByToken.get(token);
      if (!parseResult) {
        parseResult = this.parseToken(token);
        this.parseResultsByToken.set(token, parseResult);
      }
      return parseResult;
    }
    fetchValuesByTokenForElement(element) {
      let valuesByToken = this.valuesByTokenByElement.get(element);
      if (!valuesByToken) {
        valuesByToken = /* @__PURE__ */ new Map();
        this.valuesByTokenByElement.set(element, valuesByToken);
      }
      return valuesByToken;
    }
    parseToken(token) {
      try {
        const value = this.delegate.parseValueForToken(token);
        return { value };
      } catch (error2) {
        return { error: error2 };
      }
    }
  };
  var BindingObserver = class {
    constructor(context, delegate) {
      this.context = context;
      this.delegate = delegate;
      this.bindingsByAction = /* @__PURE__ */ new Map();
    }
    start() {
      if (!this.valueListObserver) {
        this.valueListObserver = new ValueListObserver(this.element, this.actionAttribute, this);
        this.valueListObserver.start();
      }
    }
    stop() {
      if (this.valueListObserver) {
        this.valueListObserver.stop();
        delete this.valueListObserver;
        this.disconnectAllActions();
      }
    }
    get element() {
      return this.context.element;
    }
    get identifier() {
      return this.context.identifier;
    }
    get actionAttribute() {
      return this.schema.actionAttribute;
    }
    get schema() {
      return this.context.schema;
    }
    get bindings() {
      return Array.from(this.bindingsByAction.values());
    }
    connectAction(action) {
      const binding = new Binding(this.context, action);
      this.bindingsByAction.set(action, binding);
      this.delegate.bindingConnected(binding);
    }
    disconnectAction(action) {
      const binding = this.bindingsByAction.get(action);
      if (binding) {
        this.bindingsByAction.delete(action);
        this.delegate.bindingDisconnected(binding);
      }
    }
    disconnectAllActions() {
      this.bindings.forEach((binding) => this.delegate.bindingDisconnected(binding, true));
      this.bindingsByAction.clear();
    }
    parseValueForToken(token) {
      const action = Action.forToken(token, this.schema);
      if (action.identifier == this.identifier) {
        return action;
      }
    }
    elementMatchedValue(element, action) {
      this.connectAction(action);
    }
    elementUnmatchedValue(element, action) {
      this.disconnectAction(action);
    }
  };
  var ValueObserver = class {
    constructor(context, receiver) {
      this.context = context;
      this.receiver = receiver;
      this.stringMapObserver = new StringMapObserver(this.element, this);
      this.valueDescriptorMap = this.controller.valueDescriptorMap;
    }
    start() {
      this.stringMapObserver.start();
      this.invokeChangedCallbacksForDefaultValues();
    }
    stop() {
      this.stringMapObserver.stop();
    }
    get element() {
      return this.context.element;
    }
    get controller() {
      return this.context.controller;
    }
    getStringMapKeyForAttribute(attributeName) {
      if (attributeName in this.valueDescriptorMap) {
        return this.valueDescriptorMap[attributeName].name;
      }
    }
    stringMapKeyAdded(key, attributeName) {
      const descriptor = this.valueDescriptorMap[attributeName];
      if (!this.hasValue(key)) {
        this.invokeChangedCallback(key, descriptor.writer(this.receiver[key]), descriptor.writer(descriptor.defaultValue));
      }
    }
    stringMapValueChanged(value, name, oldValue) {
      const descriptor = this.valueDescriptorNameMap[name];
      if (value === null)
        return;
      if (oldValue === null) {
        oldValue = descriptor.writer(descriptor.defaultValue);
      }
      this.invokeChangedCallback(name, value, oldValue);
    }
    stringMapKeyRemoved(key, attributeName, oldValue) {
      const descriptor = this.valueDescriptorNameMap[key];
      if (this.hasValue(key)) {
        this.invokeChangedCallback(key, descriptor.writer(this.receiver[key]), oldValue);
      } else {
        this.invokeChangedCallback(key, descriptor.writer(descriptor.defaultValue), oldValue);
      }
    }
    invokeChangedCallbacksForDefaultValues() {
      for (const { key, name, defaultValue, writer } of this.valueDescriptors) {
        if (defaultValue != void 0 && !this.controller.data.has(key)) {
          this.invokeChangedCallback(name, writer(defaultValue), void 0);
        }
      }
    }
    invokeChangedCallback(name, rawValue, rawOldValue) {
      const changedMethodName = `${name}Changed`;
      const changedMethod = this.receiver[changedMethodName];
      if (typeof changedMethod == "function") {
        const descriptor = this.valueDescriptorNameMap[name];
        try {
          const value = descriptor.reader(rawValue);
          let oldValue = rawOldValue;
          if (rawOldValue) {
            oldValue = descriptor.reader(rawOldValue);
          }
          changedMethod.call(this.receiver, value, oldValue);
        } catch (error2) {
          if (error2 instanceof TypeError) {
            error2.message = `Stimulus Value "${this.context.identifier}.${descriptor.name}" - ${error2.message}`;
          }
          throw error2;
        }
      }
    }
    get valueDescriptors() {
      const { valueDescriptorMap } = this;
      return Object.keys(valueDescriptorMap).map((key) => valueDescriptorMap[key]);
    }
    get valueDescriptorNameMap() {
      const descriptors = {};
      Object.keys(this.valueDescriptorMap).forEach((key) => {
        const descriptor = this.valueDescriptorMap[key];
        descriptors[descriptor.name] = descriptor;
      });
      return descriptors;
    }
    hasValue(attributeName) {
      const descriptor = this.valueDescriptorNameMap[attributeName];
      const hasMethodName = `has${capitalize(descriptor.name)}`;
      return this.receiver[hasMethodName];
    }
  };
  var TargetObserver = class {
    constructor(context, delegate) {
      this.context = context;
      this.delegate = delegate;
      this.targetsByName = new Multimap();
    }
    start() {
      if (!this.tokenListObserver) {
        this.tokenListObserver = new TokenListObserver(this.element, this.attributeName, this);
        this.tokenListObserver.start();
      }
    }
    stop() {
      if (this.tokenListObserver) {
        this.disconnectAllTargets();
        this.tokenListObserver.stop();
        delete this.tokenListObserver;
      }
    }
    tokenMatched({ element, content: name }) {
      if (this.scope.containsElement(element)) {
        this.connectTarget(element, name);
      }
    }
    tokenUnmatched({ element, content: name }) {
      this.disconnectTarget(element, name);
    }
    connectTarget(element, name) {
      var _a;
      if (!this.targetsByName.has(name, element)) {
        this.targetsByName.add(name, element);
        (_a = this.tokenListObserver) === null || _a === void 0 ? void 0 : _a.pause(() => this.delegate.targetConnected(element, name));
      }
    }
    disconnectTarget(element, name) {
      var _a;
      if (this.targetsByName.has(name, element)) {
        this.targetsByName.delete(name, element);
        (_a = this.tokenListObserver) === null || _a === void 0 ? void 0 : _a.pause(() => this.delegate.targetDisconnected(element, name));
      }
    }
    disconnectAllTargets() {
      for (const name of this.targetsByName.keys) {
        for (const element of this.targetsByName.getValuesForKey(name)) {
          this.disconnectTarget(element, name);
        }
      }
    }
    get attributeName() {
      return `data-${this.context.identifier}-target`;
    }
    get element() {
      return this.context.element;
    }
    get scope() {
      return this.context.scope;
    }
  };
  function readInheritableStaticArrayValues(constructor, propertyName) {
    const ancestors = getAncestorsForConstructor(constructor);
    return Array.from(ancestors.reduce((values2, constructor2) => {
      getOwnStaticArrayValues(constructor2, propertyName).forEach((name) => values2.add(name));
      return values2;
    }, /* @__PURE__ */ new Set()));
  }
  function readInheritableStaticObjectPairs(constructor, propertyName) {
    const ancestors = getAncestorsForConstructor(constructor);
    return ancestors.reduce((pairs, constructor2) => {
      pairs.push(...getOwnStaticObjectPairs(constructor2, propertyName));
      return pairs;
    }, []);
  }
  function getAncestorsForConstructor(constructor) {
    const ancestors = [];
    while (constructor) {
      ancestors.push(constructor);
      constructor = Object.getPrototypeOf(constructor);
    }
    return ancestors.reverse();
  }
  function getOwnStaticArrayValues(constructor, propertyName) {
    const definition = constructor[propertyName];
    return Array.isArray(definition) ? definition : [];
  }
  function getOwnStaticObjectPairs(constructor, propertyName) {
    const definition = constructor[propertyName];
    return definition ? Object.keys(definition).map((key) => [key, definition[key]]) : [];
  }
  var OutletObserver = class {
    constructor(context, delegate) {
      this.started = false;
      this.context = context;
      this.delegate = delegate;
      this.outletsByName = new Multimap();
      this.outletElementsByName = new Multimap();
      this.selectorObserverMap = /* @__PURE__ */ new Map();
      this.attributeObserverMap = /* @__PURE__ */ new Map();
    }
    start() {
      if (!this.started) {
        this.outletDefinitions.forEach((outletName) => {
          this.setupSelectorObserverForOutlet(outletName);
          this.setupAttributeObserverForOutlet(outletName);
        });
        this.started = true;
        this.dependentContexts.forEach((context) => context.refresh());
      }
    }
    refresh() {
      this.selectorObserverMap.forEach((observer) => observer.refresh());
      this.attributeObserverMap.forEach((observer) => observer.refresh());
    }
    stop() {
      if (this.started) {
        this.started = false;
        this.disconnectAllOutlets();
        this.stopSelectorObservers();
        this.stopAttributeObservers();
      }
    }
    stopSelectorObservers() {
      if (this.selectorObserverMap.size > 0) {
        this.selectorObserverMap.forEach((observer) => observer.stop());
        this.selectorObserverMap.clear();
      }
    }
    stopAttributeObservers() {
      if (this.attributeObserverMap.size > 0) {
        this.attributeObserverMap.forEach((observer) => observer.stop());
        this.attributeObserverMap.clear();
      }
    }
    selectorMatched(element, _selector, { outletName }) {
      const outlet = this.getOutlet(element, outletName);
      if (outlet) {
        this.connectOutlet(outlet, element, outletName);
      }
    }
    selectorUnmatched(element, _selector, { outletName }) {
      const outlet = this.getOutletFromMap(element, outletName);
      if (outlet) {
        this.disconnectOutlet(outlet, element, outletName);
      }
    }
    selectorMatchElement(element, { outletName }) {
      const selector = this.selector(outletName);
      const hasOutlet = this.hasOutlet(element, outletName);
      const hasOutletController = element.matches(`[${this.schema.controllerAttribute}~=${outletName}]`);
      if (selector) {
        return hasOutlet && hasOutletController && element.matches(selector);
      } else {
        return false;
      }
    }
    elementMatchedAttribute(_element, attributeName) {
      const outletName = this.getOutletNameFromOutletAttributeName(attributeName);
      if (outletName) {
        this.updateSelectorObserverForOutlet(outletName);
      }
    }
    elementAttributeValueChanged(_element, attributeName) {
      const outletName = this.getOutletNameFromOutletAttributeName(attributeName);
      if (outletName) {
        this.updateSelectorObserverForOutlet(outletName);
      }
    }
    elementUnmatchedAttribute(_element, attributeName) {
      const outletName = this.getOutletNameFromOutletAttributeName(attributeName);
      if (outletName) {
        this.updateSelectorObserverForOutlet(outletName);
      }
    }
    connectOutlet(outlet, element, outletName) {
      var _a;
      if (!this.outletElementsByName.has(outletName, element)) {
        this.outletsByName.add(outletName, outlet);
        this.outletElementsByName.add(outletName, element);
        (_a = this.selectorObserverMap.get(outletName)) === null || _a === void 0 ? void 0 : _a.pause(() => this.delegate.outletConnected(outlet, element, outletName));
      }
    }
    disconnectOutlet(outlet, element, outletName) {
      var _a;
      if (this.outletElementsByName.has(outletName, element)) {
        this.outletsByName.delete(outletName, outlet);
        this.outletElementsByName.delete(outletName, element);
        (_a = this.selectorObserverMap.get(outletName)) === null || _a === void 0 ? void 0 : _a.pause(() => this.delegate.outletDisconnected(outlet, element, outletName));
      }
    }
    disconnectAllOutlets() {
      for (const outletName of this.outletElementsByName.keys) {
        for (const element of this.outletElementsByName.getValuesForKey(outletName)) {
          for (const outlet of this.outletsByName.getValuesForKey(outletName)) {
            this.disconnectOutlet(outlet, element, outletName);
          }
        }
      }
    }
    updateSelectorObserverForOutlet(outletName) {
      const observer = this.selectorObserverMap.get(outletName);
      if (observer) {
        observer.selector = this.selector(outletName);
      }
    }
    setupSelectorObserverForOutlet(outletName) {
      const selector = this.selector(outletName);
      const selectorObserver = new SelectorObserver(document.body, selector, this, { outletName });
      this.selectorObserverMap.set(outletName, selectorObserver);
      selectorObserver.start();
    }
    setupAttributeObserverForOutlet(outletName) {
      const attributeName = this.attributeNameForOutletName(outletName);
      const attributeObserver = new AttributeObserver(this.scope.element, attributeName, this);
      this.attributeObserverMap.set(outletName, attributeObserver);
      attributeObserver.start();
    }
    selector(outletName) {
      return this.scope.outlets.getSelectorForOutletName(outletName);
    }
    attributeNameForOutletName(outletName) {
      return this.scope.schema.outletAttributeForScope(this.identifier, outletName);
    }
    getOutletNameFromOutletAttributeName(attributeName) {
      return this.outletDefinitions.find((outletName) => this.attributeNameForOutletName(outletName) === attributeName);
    }
    get outletDependencies() {
      const dependencies = new Multimap();
      this.router.modules.forEach((module) => {
        const constructor = module.definition.controllerConstructor;
        const outlets = readInheritableStaticArrayValues(constructor, "outlets");
        outlets.forEach((outlet) => dependencies.add(outlet, module.identifier));
      });
      return dependencies;
    }
    get outletDefinitions() {
      return this.outletDependencies.getKeysForValue(this.identifier);
    }
    get dependentControllerIdentifiers() {
      return this.outletDependencies.getValuesForKey(this.identifier);
    }
    get dependentContexts() {
      const identifiers = this.dependentControllerIdentifiers;
      return this.router.contexts.filter((context) => identifiers.includes(context.identifier));
    }
    hasOutlet(element, outletName) {
      return !!this.getOutlet(element, outletName) || !!this.getOutletFromMap(element, outletName);
    }
    getOutlet(element, outletName) {
      return this.application.getControllerForElementAndIdentifier(element, outletName);
    }
    getOutletFromMap(element, outletName) {
      return this.outletsByName.getValuesForKey(outletName).find((outlet) => outlet.element === element);
    }
    get scope() {
      return this.context.scope;
    }
    get schema() {
      return this.context.schema;
    }
    get identifier() {
      return this.context.identifier;
    }
    get application() {
      return this.context.application;
    }
    get router() {
      return this.application.router;
    }
  };
  var Context = class {
    constructor(module, scope) {
      this.logDebugActivity = (functionName, detail = {}) => {
        const { identifier, controller, element } = this;
        detail = Object.assign({ identifier, controller, element }, detail);
        this.application.logDebugActivity(this.identifier, functionName, detail);
      };
      this.module = module;
      this.scope = scope;
      this.controller = new module.controllerConstructor(this);
      this.bindingObserver = new BindingObserver(this, this.dispatcher);
      this.valueObserver = new ValueObserver(this, this.controller);
      this.targetObserver = new TargetObserver(this, this);
      this.outletObserver = new OutletObserver(this, this);
      try {
        this.controller.initialize();
        this.logDebugActivity("initialize");
      } catch (error2) {
        this.handleError(error2, "initializing controller");
      }
    }
    connect() {
      this.bindingObserver.start();
      this.valueObserver.start();
      this.targetObserver.start();
      this.outletObserver.start();
      try {
        this.controller.connect();
        this.logDebugActivity("connect");
      } catch (error2) {
        this.handleError(error2, "connecting controller");
      }
    }
    refresh() {
      this.outletObserver.refresh();
    }
    disconnect() {
      try {
        this.controller.disconnect();
        this.logDebugActivity("disconnect");
      } catch (error2) {
        this.handleError(error2, "disconnecting controller");
      }
      this.outletObserver.stop();
      this.targetObserver.stop();
      this.valueObserver.stop();
      this.bindingObserver.stop();
    }
    get application() {
      return this.module.application;
    }
    get identifier() {
      return this.module.identifier;
    }
    get schema() {
      return this.application.schema;
    }
    get dispatcher() {
      return this.application.dispatcher;
    }
    get element() {
      return this.scope.element;
    }
    get parentElement() {
      return this.element.parentElement;
    }
    handleError(error2, message, detail = {}) {
      const { identifier, controller, element } = this;
      detail = Object.assign({ identifier, controller, element }, detail);
      this.application.handleError(error2, `Error ${message}`, detail);
    }
    targetConnected(element, name) {
      this.invokeControllerMethod(`${name}TargetConnected`, element);
    }
    targetDisconnected(element, name) {
      this.invokeControllerMethod(`${name}TargetDisconnected`, element);
    }
    outletConnected(outlet, element, name) {
      this.invokeControllerMethod(`${namespaceCamelize(name)}OutletConnected`, outlet, element);
    }
    outletDisconnected(outlet, element, name) {
      this.invokeControllerMethod(`${namespaceCamelize(name)}OutletDisconnected`, outlet, element);
    }
    invokeControllerMethod(methodName, ...args) {
      const controller = this.controller;
      if (typeof controller[methodName] == "function") {
        controller[methodName](...args);
      }
    }
  };
  function bless(constructor) {
    return shadow(constructor, getBlessedProperties(constructor));
  }
  function shadow(constructor, properties) {
    const shadowConstructor = extend(constructor);
    const shadowProperties = getShadowProperties(constructor.prototype, properties);
    Object.defineProperties(shadowConstructor.prototype, shadowProperties);
    return shadowConstructor;
  }
  function getBlessedProperties(constructor) {
    const blessings = readInheritableStaticArrayValues(constructor, "blessings");
    return blessings.reduce((blessedProperties, blessing) => {
      const properties = blessing(constructor);
      for (const key in properties) {
        const descriptor = blessedProperties[key] || {};
        blessedProperties[key] = Object.assign(descriptor, properties[key]);
      }
      return blessedProperties;
    }, {});
  }
  function getShadowProperties(prototype, properties) {
    return getOwnKeys(properties).reduce((shadowProperties, key) => {
      const descriptor = getShadowedDescriptor(prototype, properties, key);
      if (descriptor) {
        Object.assign(shadowProperties, { [key]: descriptor });
      }
      return shadowProperties;
    }, {});
  }
  function getShadowedDescriptor(prototype, properties, key) {
    const shadowingDescriptor = Object.getOwnPropertyDescriptor(prototype, key);
    const shadowedByValue = shadowingDescriptor && "value" in shadowingDescriptor;
    if (!shadowedByValue) {
      const descriptor = Object.getOwnPropertyDescriptor(properties, key).value;
      if (shadowingDescriptor) {
        descriptor.get = shadowingDescriptor.get || descriptor.get;
        descriptor.set = shadowingDescriptor.set || descriptor.set;
      }
      return descriptor;
    }
  }
  var getOwnKeys = (() => {
    if (typeof Object.getOwnPropertySymbols == "function") {
      return (object) => [...Object.getOwnPropertyNames(object), ...Object.getOwnPropertySymbols(object)];
    } else {
      return Object.getOwnPropertyNames;
    }
  })();
  var extend = (() => {
    function extendWithReflect(constructor) {
      function extended() {
        return Reflect.construct(constructor, arguments, new.target);
      }
      extended.prototype = Object.create(constructor.prototype, {
        constructor: { value: extended }
      });
      Reflect.setPrototypeOf(extended, constructor);
      return extended;
    }
    function testReflectExtension() {
      const a = function() {
        this.a.call(this);
      };
      const b = extendWithReflect(a);
      b.prototype.a = function() {
      };
      return new b();
    }
    try {
      testReflectExtension();
      return extendWithReflect;
    } catch (error2) {
      return (constructor) => class extended extends constructor {
      };
    }
  })();
  function blessDefinition(definition) {
    return {
      identifier: definition.identifier,
      controllerConstructor: bless(definition.controllerConstructor)
    };
  }
  var Module = class {
    constructor(application2, definition) {
      this.application = application2;
      this.definition = blessDefinition(definition);
      this.contextsByScope = /* @__PURE__ */ new WeakMap();
      this.connectedContexts = /* @__PURE__ */ new Set();
    }
    get identifier() {
      return this.definition.identifier;
    }
    get controllerConstructor() {
      return this.definition.controllerConstructor;
    }
    get contexts() {
      return Array.from(this.connectedContexts);
    }
    connectContextForScope(scope) {
      const context = this.fetchContextForScope(scope);
      this.connectedContexts.add(context);
      context.connect();
    }
    disconnectContextForScope(scope) {
      const context = this.contextsByScope.get(scope);
      if (context) {
        this.connectedContexts.delete(context);
        context.disconnect();
      }
    }
    fetchContextForScope(scope) {
      let context = this.contextsByScope.get(scope);
      if (!context) {
        context = new Context(this, scope);
        this.contextsByScope.set(scope, context);
      }
      return context;
    }
  };
  var ClassMap = class {
    constructor(scope) {
      this.scope = scope;
    }
    has(name) {
      return this.data.has(this.getDataKey(name));
    }
    get(name) {
      return this.getAll(name)[0];
    }
    getAll(name) {
      const tokenString = this.data.get(this.getDataKey(name)) || "";
      return tokenize(tokenString);
    }
    getAttributeName(name) {
      return this.data.getAttributeNameForKey(this.getDataKey(name));
    }
    getDataKey(name) {
      return `${name}-class`;
    }
    get data() {
      return this.scope.data;
    }
  };
  var DataMap = class {
    constructor(scope) {
      this.scope = scope;
    }
    get element() {
      return this.scope.element;
    }
    get identifier() {
      return this.scope.identifier;
    }
    get(key) {
      const name = this.getAttributeNameForKey(key);
      return this.element.getAttribute(name);
    }
    set(key, value) {
      const name = this.getAttributeNameForKey(key);
      this.element.setAttribute(name, value);
      return this.get(key);
    }
    has(key) {
      const name = this.getAttributeNameForKey(key);
      return this.element.hasAttribute(name);
    }
    delete(key) {
      if (this.has(key)) {
        const name = this.getAttributeNameForKey(key);
        this.element.removeAttribute(name);
        return true;
      } else {
        return false;
      }
    }
    getAttributeNameForKey(key) {
      return `data-${this.identifier}-${dasherize(key)}`;
    }
  };
  var Guide = class {
    constructor(logger) {
      this.warnedKeysByObject = /* @__PURE__ */ new WeakMap();
      this.logger = logger;
    }
    warn(object, key, message) {
      let warnedKeys = this.warnedKeysByObject.get(object);
      if (!warnedKeys) {
        warnedKeys = /* @__PURE__ */ new Set();
        this.warnedKeysByObject.set(object, warnedKeys);
      }
      if (!warnedKeys.has(key)) {
        warnedKeys.add(key);
        this.logger.warn(message, object);
      }
    }
  };
  function attributeValueContainsToken(attributeName, token) {
    return `[${attributeName}~="${token}"]`;
  }
  var TargetSet = class {
    constructor(scope) {
      this.scope = scope;
    }
    get element() {
      return this.scope.element;
    }
    get identifier() {
      return this.scope.identifier;
    }
    get schema() {
      return this.scope.schema;
    }
    has(targetName) {
      return this.find(targetName) != null;
    }
    find(...targetNames) {
      return targetNames.reduce((target, targetName) => target || this.findTarget(targetName) || this.findLegacyTarget(targetName), void 0);
    }
    findAll(...targetNames) {
      return targetNames.reduce((targets, targetName) => [
        ...targets,
        ...this.findAllTargets(targetName),
        ...this.findAllLegacyTargets(targetName)
      ], []);
    }
    findTarget(targetName) {
      const selector = this.getSelectorForTargetName(targetName);
      return this.scope.findElement(selector);
    }
    findAllTargets(targetName) {
      const selector = this.getSelectorForTargetName(targetName);
      return this.scope.findAllElements(selector);
    }
    getSelectorForTargetName(targetName) {
      const attributeName = this.schema.targetAttributeForScope(this.identifier);
      return attributeValueContainsToken(attributeName, targetName);
    }
    findLegacyTarget(targetName) {
      const selector = this.getLegacySelectorForTargetName(targetName);
      return this.deprecate(this.scope.findElement(selector), targetName);
    }
    findAllLegacyTargets(targetName) {
      const selector = this.getLegacySelectorForTargetName(targetName);
      return this.scope.findAllElements(selector).map((element) => this.deprecate(element, targetName));
    }
    getLegacySelectorForTargetName(targetName) {
      const targetDescriptor = `${this.identifier}.${targetName}`;
      return attributeValueContainsToken(this.schema.targetAttribute, targetDescriptor);
    }
    deprecate(element, targetName) {
      if (element) {
        const { identifier } = this;
        const attributeName = this.schema.targetAttribute;
        const revisedAttributeName = this.schema.targetAttributeForScope(identifier);
        this.guide.warn(element, `target:${targetName}`, `Please replace ${attributeName}="${identifier}.${targetName}" with ${revisedAttributeName}="${targetName}". The ${attributeName} attribute is deprecated and will be removed in a future version of Stimulus.`);
      }
      return element;
    }
    get guide() {
      return this.scope.guide;
    }
  };
  var OutletSet = class {
    constructor(scope, controllerElement) {
      this.scope = scope;
      this.controllerElement = controllerElement;
    }
    get element() {
      return this.scope.element;
    }
    get identifier() {
      return this.scope.identifier;
    }
    get schema() {
      return this.scope.schema;
    }
    has(outletName) {
      return this.find(outletName) != null;
    }
    find(...outletNames) {
      return outletNames.reduce((outlet, outletName) => outlet || this.findOutlet(outletName), void 0);
    }
    findAll(...outletNames) {
      return outletNames.reduce((outlets, outletName) => [...outlets, ...this.findAllOutlets(outletName)], []);
    }
    getSelectorForOutletName(outletName) {
      const attributeName = this.schema.outletAttributeForScope(this.identifier, outletName);
      return this.controllerElement.getAttribute(attributeName);
    }
    findOutlet(outletName) {
      const selector = this.getSelectorForOutletName(outletName);
      if (selector)
        return this.findElement(selector, outletName);
    }
    findAllOutlets(outletName) {
      const selector = this.getSelectorForOutletName(outletName);
      return selector ? this.findAllElements(selector, outletName) : [];
    }
    findElement(selector, outletName) {
      const elements = this.scope.queryElements(selector);
      return elements.filter((element) => this.matchesElement(element, selector, outletName))[0];
    }
    findAllElements(selector, outletName) {
      const elements = this.scope.queryElements(selector);
      return elements.filter((element) => this.matchesElement(element, selector, outletName));
    }
    matchesElement(element, selector, outletName) {
      const controllerAttribute = element.getAttribute(this.scope.schema.controllerAttribute) || "";
      return element.matches(selector) && controllerAttribute.split(" ").includes(outletName);
    }
  };
  var Scope = class _Scope {
    constructor(schema, element, identifier, logger) {
      this.targets = new TargetSet(this);
      this.classes = new ClassMap(this);
      this.data = new DataMap(this);
      this.containsElement = (element2) => {
        return element2.closest(this.controllerSelector) === this.element;
      };
      this.schema = schema;
      this.element = element;
      this.identifier = identifier;
      this.guide = new Guide(logger);
      this.outlets = new OutletSet(this.documentScope, element);
    }
    findElement(selector) {
      return this.element.matches(selector) ? this.element : this.queryElements(selector).find(this.containsElement);
    }
    findAllElements(selector) {
      return [
        ...this.element.matches(selector) ? [this.element] : [],
        ...this.queryElements(selector).filter(this.containsElement)
      ];
    }
    queryElements(selector) {
      return Array.from(this.element.querySelectorAll(selector));
    }
    get controllerSelector() {
      return attributeValueContainsToken(this.schema.controllerAttribute, this.identifier);
    }
    get isDocumentScope() {
      return this.element === document.documentElement;
    }
    get documentScope() {
      return this.isDocumentScope ? this : new _Scope(this.schema, document.documentElement, this.identifier, this.guide.logger);
    }
  };
  var ScopeObserver = class {
    constructor(element, schema, delegate) {
      this.element = element;
      this.schema = schema;
      this.delegate = delegate;
      this.valueListObserver = new ValueListObserver(this.element, this.controllerAttribute, this);
      this.scopesByIdentifierByElement = /* @__PURE__ */ new WeakMap();
      this.scopeReferenceCounts = /* @__PURE__ */ new WeakMap();
    }
    start() {
      this.valueListObserver.start();
    }
    stop() {
      this.valueListObserver.stop();
    }
    get controllerAttribute() {
      return this.schema.controllerAttribute;
    }
    parseValueForToken(token) {
      const { element, content: identifier } = token;
      return this.parseValueForElementAndIdentifier(element, identifier);
    }
    parseValueForElementAndIdentifier(element, identifier) {
      const scopesByIdentifier = this.fetchScopesByIdentifierForElement(element);
      let scope = scopesByIdentifier.get(identifier);
      if (!scope) {
        scope = this.delegate.createScopeForElementAndIdentifier(element, identifier);
        scopesByIdentifier.set(identifier, scope);
      }
      return scope;
    }
    elementMatchedValue(element, value) {
      const referenceCount = (this.scopeReferenceCounts.get(value) || 0) + 1;
      this.scopeReferenceCounts.set(value, referenceCount);
      if (referenceCount == 1) {
        this.delegate.scopeConnected(value);
      }
    }
    elementUnmatchedValue(element, value) {
      const referenceCount = this.scopeReferenceCounts.get(value);
      if (referenceCount) {
        this.scopeReferenceCounts.set(value, referenceCount - 1);
        if (referenceCount == 1) {
          this.delegate.scopeDisconnected(value);
        }
      }
    }
    fetchScopesByIdentifierForElement(element) {
      let scopesByIdentifier = this.scopesByIdentifierByElement.get(element);
      if (!scopesByIdentifier) {
        scopesByIdentifier = /* @__PURE__ */ new Map();
        this.scopesByIdentifierByElement.set(element, scopesByIdentifier);
      }
      return scopesByIdentifier;
    }
  };
  var Router = class {
    constructor(application2) {
      this.application = application2;
      this.scopeObserver = new ScopeObserver(this.element, this.schema, this);
      this.scopesByIdentifier = new Multimap();
      this.modulesByIdentifier = /* @__PURE__ */ new Map();
    }
    get element() {
      return this.application.element;
    }
    get schema() {
      return this.application.schema;
    }
    get logger() {
      return this.application.logger;
    }
    get controllerAttribute() {
      return this.schema.controllerAttribute;
    }
    get modules() {
      return Array.from(this.modulesByIdentifier.values());
    }
    get contexts() {
      return this.modules.reduce((contexts, module) => contexts.concat(module.contexts), []);
    }
    start() {
      this.scopeObserver.start();
    }
    stop() {
      this.scopeObserver.stop();
    }
    loadDefinition(definition) {
      this.unloadIdentifier(definition.identifier);
      const module = new Module(this.application, definition);
      this.connectModule(module);
      const afterLoad = definition.controllerConstructor.afterLoad;
      if (afterLoad) {
        afterLoad.call(definition.controllerConstructor, definition.identifier, this.application);
      }
    }
    unloadIdentifier(identifier) {
      const module = this.modulesByIdentifier.get(identifier);
      if (module) {
        this.disconnectModule(module);
      }
    }
    getContextForElementAndIdentifier(element, identifier) {
      const module = this.modulesByIdentifier.get(identifier);
      if (module) {
        return module.contexts.find((context) => context.element == element);
      }
    }
    proposeToConnectScopeForElementAndIdentifier(element, identifier) {
      const scope = this.scopeObserver.parseValueForElementAndIdentifier(element, identifier);
      if (scope) {
        this.scopeObserver.elementMatchedValue(scope.element, scope);
      } else {
        console.error(`Couldn't find or create scope for identifier: "${identifier}" and element:`, element);
      }
    }
    handleError(error2, message, detail) {
      this.application.handleError(error2, message, detail);
    }
    createScopeForElementAndIdentifier(element, identifier) {
      return new Scope(this.schema, element, identifier, this.logger);
    }
    scopeConnected(scope) {
      this.scopesByIdentifier.add(scope.identifier, scope);
      const module = this.modulesByIdentifier.get(scope.identifier);
      if (module) {
        module.connectContextForScope(scope);
      }
    }
    scopeDisconnected(scope) {
      this.scopesByIdentifier.delete(scope.identifier, scope);
      const module = this.modulesByIdentifier.get(scope.identifier);
      if (module) {
        module.disconnectContextForScope(scope);
      }
    }
    connectModule(module) {
      this.modulesByIdentifier.set(module.identifier, module);
      const scopes = this.scopesByIdentifier.getValuesForKey(module.identifier);
      scopes.forEach((scope) => module.connectContextForScope(scope));
    }
    disconnectModule(module) {
      this.modulesByIdentifier.delete(module.identifier);
      const scopes = this.scopesByIdentifier.getValuesForKey(module.identifier);
      scopes.forEach((scope) => module.disconnectContextForScope(scope));
    }
  };
  var defaultSchema = {
    controllerAttribute: "data-controller",
    actionAttribute: "data-action",
    targetAttribute: "data-target",
    targetAttributeForScope: (identifier) => `data-${identifier}-target`,
    outletAttributeForScope: (identifier, outlet) => `data-${identifier}-${outlet}-outlet`,
    keyMappings: Object.assign(Object.assign({ enter: "Enter", tab: "Tab", esc: "Escape", space: " ", up: "ArrowUp", down: "ArrowDown", left: "ArrowLeft", right: "ArrowRight", home: "Home", end: "End", page_up: "PageUp", page_down: "PageDown" }, objectFromEntries("abcdefghijklmnopqrstuvwxyz".split("").map((c) => [c, c]))), objectFromEntries("0123456789".split("").map((n) => [n, n])))
  };
  function objectFromEntries(array) {
    return array.reduce((memo, [k, v]) => Object.assign(Object.assign({}, memo), { [k]: v }), {});
  }
  var Application = class {
    constructor(element = document.documentElement, schema = defaultSchema) {
      this.logger = console;
      this.debug = false;
      this.logDebugActivity = (identifier, functionName, detail = {}) => {
        if (this.debug) {
          this.logFormattedMessage(identifier, functionName, detail);
        }
      };
      this.element = element;
      this.schema = schema;
      this.dispatcher = new Dispatcher(this);
      this.router = new Router(this);
      this.actionDescriptorFilters = Object.assign({}, defaultActionDescriptorFilters);
    }
    static start(element, schema) {
      const application2 = new this(element, schema);
      application2.start();
      return application2;
    }
    async start() {
      await domReady();
      this.logDebugActivity("application", "starting");
      this.dispatcher.start();
      this.router.start();
      this.logDebugActivity("application", "start");
    }
    stop() {
      this.logDebugActivity("application", "stopping");
      this.dispatcher.stop();
      this.router.stop();
      this.logDebugActivity("application", "stop");
    }
    register(identifier, controllerConstructor) {
      this.load({ identifier, controllerConstructor });
    }
    registerActionOption(name, filter) {
      this.actionDescriptorFilters[name] = filter;
    }
    load(head, ...rest) {
      const definitions = Array.isArray(head) ? head : [head, ...rest];
      definitions.forEach((definition) => {
        if (definition.controllerConstructor.shouldLoad) {
          this.router.loadDefinition(definition);
        }
      });
    }
    unload(head, ...rest) {
      const identifiers = Array.isArray(head) ? head : [head, ...rest];
      identifiers.forEach((identifier) => this.router.unloadIdentifier(identifier));
    }
    get controllers() {
      return this.router.contexts.map((context) => context.controller);
    }
    getControllerForElementAndIdentifier(element, identifier) {
      const context = this.router.getContextForElementAndIdentifier(element, identifier);
      return context ? context.controller : null;
    }
    handleError(error2, message, detail) {
      var _a;
      this.logger.error(`%s

%o

%o`, message, error2, detail);
      (_a = window.onerror) === null || _a === void 0 ? void 0 : _a.call(window, message, "", 0, 0, error2);
    }
    logFormattedMessage(identifier, functionName, detail = {}) {
      detail = Object.assign({ application: this }, detail);
      this.logger.groupCollapsed(`${identifier} #${functionName}`);
      this.logger.log("details:", Object.assign({}, detail));
      this.logger.groupEnd();
    }
  };
  function domReady() {
    return new Promise((resolve) => {
      if (document.readyState == "loading") {
        document.addEventListener("DOMContentLoaded", () => resolve());
      } else {
        resolve();
      }
    });
  }
  function ClassPropertiesBlessing(constructor) {
    const classes = readInheritableStaticArrayValues(constructor, "classes");
    return classes.reduce((properties, classDefinition) => {
      return Object.assign(properties, propertiesForClassDefinition(classDefinition));
    }, {});
  }
  function propertiesForClassDefinition(key) {
    return {
      [`${key}Class`]: {
        get() {
          const { classes } = this;
          if (classes.has(key)) {
            return classes.get(key);
          } else {
            const attribute = classes.getAttributeName(key);
            throw new Error(`Missing attribute "${attribute}"`);
          }
        }
      },
      [`${key}Classes`]: {
        get() {
          return this.classes.getAll(key);
        }
      },
      [`has${capitalize(key)}Class`]: {
        get() {
          return this.classes.has(key);
        }
      }
    };
  }
  function OutletPropertiesBlessing(constructor) {
    const outlets = readInheritableStaticArrayValues(constructor, "outlets");
    return outlets.reduce((properties, outletDefinition) => {
      return Object.assign(properties, propertiesForOutletDefinition(outletDefinition));
    }, {});
  }
  function getOutletController(controller, element, identifier) {
    return controller.application.getControllerForElementAndIdentifier(element, identifier);
  }
  function getControllerAndEnsureConnectedScope(controller, element, outletName) {
    let outletController = getOutletController(controller, element, outletName);
    if (outletController)
      return outletController;
    controller.application.router.proposeToConnectScopeForElementAndIdentifier(element, outletName);
    outletController = getOutletController(controller, element, outletName);
    if (outletController)
      return outletController;
  }
  function propertiesForOutletDefinition(name) {
    const camelizedName = namespaceCamelize(name);
    return {
      [`${camelizedName}Outlet`]: {
        get() {
          const outletElement = this.outlets.find(name);
          const selector = this.outlets.getSelectorForOutletName(name);
          if (outletElement) {
            const outletController = getControllerAndEnsureConnectedScope(this, outletElement, name);
            if (outletController)
              return outletController;
            throw new Error(`The provided outlet element is missing an outlet controller "${name}" instance for host controller "${this.identifier}"`);
          }
          throw new Error(`Missing outlet element "${name}" for host controller "${this.identifier}". Stimulus couldn't find a matching outlet element using selector "${selector}".`);
        }
      },
      [`${camelizedName}Outlets`]: {
        get() {
          const outlets = this.outlets.findAll(name);
          if (outlets.length > 0) {
            return outlets.map((outletElement) => {
              const outletController = getControllerAndEnsureConnectedScope(this, outletElement, name);
              if (outletController)
                return outletController;
              console.warn(`The provided outlet element is missing an outlet controller "${name}" instance for host controller "${this.identifier}"`, outletElement);
            }).filter((controller) => controller);
          }
          return [];
        }
      },
      [`${camelizedName}OutletElement`]: {
        get() {
          const outletElement = this.outlets.find(name);
          const selector = this.outlets.getSelectorForOutletName(name);
          if (outletElement) {
            return outletElement;
          } else {
            throw new Error(`Missing outlet element "${name}" for host controller "${this.identifier}". Stimulus couldn't find a matching outlet element using selector "${selector}".`);
          }
        }
      },
      [`${camelizedName}OutletElements`]: {
        get() {
          return this.outlets.findAll(name);
        }
      },
      [`has${capitalize(camelizedName)}Outlet`]: {
        get() {
          return this.outlets.has(name);
        }
      }
    };
  }
  function TargetPropertiesBlessing(constructor) {
    const targets = readInheritableStaticArrayValues(constructor, "targets");
    return targets.reduce((properties, targetDefinition) => {
      return Object.assign(properties, propertiesForTargetDefinition(targetDefinition));
    }, {});
  }
  function propertiesForTargetDefinition(name) {
    return {
      [`${name}Target`]: {
        get() {
          const target = this.targets.find(name);
          if (target) {
            return target;
          } else {
            throw new Error(`Missing target element "${name}" for "${this.identifier}" controller`);
          }
        }
      },
      [`${name}Targets`]: {
        get() {
          return this.targets.findAll(name);
        }
      },
      [`has${capitalize(name)}Target`]: {
        get() {
          return this.targets.has(name);
        }
      }
    };
  }
  function ValuePropertiesBlessing(constructor) {
    const valueDefinitionPairs = readInheritableStaticObjectPairs(constructor, "values");
    const propertyDescriptorMap = {
      valueDescriptorMap: {
        get() {
          return valueDefinitionPairs.reduce((result, valueDefinitionPair) => {
            const valueDescriptor = parseValueDefinitionPair(valueDefinitionPair, this.identifier);
            const attributeName = this.data.getAttributeNameForKey(valueDescriptor.key);
            return Object.assign(result, { [attributeName]: valueDescriptor });
          }, {});
        }
      }
    };
    return valueDefinitionPairs.reduce((properties, valueDefinitionPair) => {
      return Object.assign(properties, propertiesForValueDefinitionPair(valueDefinitionPair));
    }, propertyDescriptorMap);
  }
  function propertiesForValueDefinitionPair(valueDefinitionPair, controller) {
    const definition = parseValueDefinitionPair(valueDefinitionPair, controller);
    const { key, name, reader: read, writer: write } = definition;
    return {
      [name]: {
        get() {
          const value = this.data.get(key);
          if (value !== null) {
            return read(value);
          } else {
            return definition.defaultValue;
          }
        },
        set(value) {
          if (value === void 0) {
            this.data.delete(key);
          } else {
            this.data.set(key, write(value));
          }
        }
      },
      [`has${capitalize(name)}`]: {
        get() {
          return this.data.has(key) || definition.hasCustomDefaultValue;
        }
      }
    };
  }
  function parseValueDefinitionPair([token, typeDefinition], controller) {
    return valueDescriptorForTokenAndTypeDefinition({
      controller,
      token,
      typeDefinition
    });
  }
  function parseValueTypeConstant(constant) {
    switch (constant) {
      case Array:
        return "array";
      case Boolean:
        return "boolean";
      case Number:
        return "number";
      case Object:
        return "object";
      case String:
        return "string";
    }
  }
  function parseValueTypeDefault(defaultValue) {
    switch (typeof defaultValue) {
      case "boolean":
        return "boolean";
      case "number":
        return "number";
      case "string":
        return "string";
    }
    if (Array.isArray(defaultValue))
      return "array";
    if (Object.prototype.toString.call(defaultValue) === "[object Object]")
      return "object";
  }
  function parseValueTypeObject(payload) {
    const { controller, token, typeObject } = payload;
    const hasType = isSomething(typeObject.type);
    const hasDefault = isSomething(typeObject.default);
    const fullObject = hasType && hasDefault;
    const onlyType = hasType && !hasDefault;
    const onlyDefault = !hasType && hasDefault;
    const typeFromObject = parseValueTypeConstant(typeObject.type);
    const typeFromDefaultValue = parseValueTypeDefault(payload.typeObject.default);
    if (onlyType)
      return typeFromObject;
    if (onlyDefault)
      return typeFromDefaultValue;
    if (typeFromObject !== typeFromDefaultValue) {
      const propertyPath = controller ? `${controller}.${token}` : token;
      throw new Error(`The specified default value for the Stimulus Value "${propertyPath}" must match the defined type "${typeFromObject}". The provided default value of "${typeObject.default}" is of type "${typeFromDefaultValue}".`);
    }
    if (fullObject)
      return typeFromObject;
  }
  function parseValueTypeDefinition(payload) {
    const { controller, token, typeDefinition } = payload;
    const typeObject = { controller, token, typeObject: typeDefinition };
    const typeFromObject = parseValueTypeObject(typeObject);
    const typeFromDefaultValue = parseValueTypeDefault(typeDefinition);
    const typeFromConstant = parseValueTypeConstant(typeDefinition);
    const type = typeFromObject || typeFromDefaultValue || typeFromConstant;
    if (type)
      return type;
    const propertyPath = controller ? `${controller}.${typeDefinition}` : token;
    throw new Error(`Unknown value type "${propertyPath}" for "${token}" value`);
  }
  function defaultValueForDefinition(typeDefinition) {
    const constant = parseValueTypeConstant(typeDefinition);
    if (constant)
      return defaultValuesByType[constant];
    const hasDefault = hasProperty(typeDefinition, "default");
    const hasType = hasProperty(typeDefinition, "type");
    const typeObject = typeDefinition;
    if (hasDefault)
      return typeObject.default;
    if (hasType) {
      const { type } = typeObject;
      const constantFromType = parseValueTypeConstant(type);
      if (constantFromType)
        return defaultValuesByType[constantFromType];
    }
    return typeDefinition;
  }
  function valueDescriptorForTokenAndTypeDefinition(payload) {
    const { token, typeDefinition } = payload;
    const key = `${dasherize(token)}-value`;
    const type = parseValueTypeDefinition(payload);
    return {
      type,
      key,
      name: camelize(key),
      get defaultValue() {
        return defaultValueForDefinition(typeDefinition);
      },
      get hasCustomDefaultValue() {
        return parseValueTypeDefault(typeDefinition) !== void 0;
      },
      reader: readers[type],
      writer: writers[type] || writers.default
    };
  }
  var defaultValuesByType = {
    get array() {
      return [];
    },
    boolean: false,
    number: 0,
    get object() {
      return {};
    },
    string: ""
  };
  var readers = {
    array(value) {
      const array = JSON.parse(value);
      if (!Array.isArray(array)) {
        throw new TypeError(`expected value of type "array" but instead got value "${value}" of type "${parseValueTypeDefault(array)}"`);
      }
      return array;
    },
    boolean(value) {
      return !(value == "0" || String(value).toLowerCase() == "false");
    },
    number(value) {
      return Number(value.replace(/_/g, ""));
    },
    object(value) {
      const object = JSON.parse(value);
      if (object === null || typeof object != "object" || Array.isArray(object)) {
        throw new TypeError(`expected value of type "object" but instead got value "${value}" of type "${parseValueTypeDefault(object)}"`);
      }
      return object;
    },
    string(value) {
      return value;
    }
  };
  var writers = {
    default: writeString,
    array: writeJSON,
    object: writeJSON
  };
  function writeJSON(value) {
    return JSON.stringify(value);
  }
  function writeString(value) {
    return `${value}`;
  }
  var Controller = class {
    constructor(context) {
      this.context = context;
    }
    static get shouldLoad() {
      return true;
    }
    static afterLoad(_identifier, _application) {
      return;
    }
    get application() {
      return this.context.application;
    }
    get scope() {
      return this.context.scope;
    }
    get element() {
      return this.scope.element;
    }
    get identifier() {
      return this.scope.identifier;
    }
    get targets() {
      return this.scope.targets;
    }
    get outlets() {
      return this.scope.outlets;
    }
    get classes() {
      return this.scope.classes;
    }
    get data() {
      return this.scope.data;
    }
    initialize() {
    }
    connect() {
    }
    disconnect() {
    }
    dispatch(eventName, { target = this.element, detail = {}, prefix = this.identifier, bubbles = true, cancelable = true } = {}) {
      const type = prefix ? `${prefix}:${eventName}` : eventName;
      const event = new CustomEvent(type, { detail, bubbles, cancelable });
      target.dispatchEvent(event);
      return event;
    }
  };
  Controller.blessings = [
    ClassPropertiesBlessing,
    TargetPropertiesBlessing,
    ValuePropertiesBlessing,
    OutletPropertiesBlessing
  ];
  Controller.targets = [];
  Controller.outlets = [];
  Controller.values = {};

  // src/collect.js
  var OMIT = /* @__PURE__ */ new Set([
    "action",
    "controller",
    "liveviewAction",
    "liveviewFunction",
    "liveviewIntersectAppear",
    "liveviewIntersectDisappear",
    "liveviewIntersectThreshold",
    "intersectionTrigger",
    "liveviewFocus",
    "liveviewInit",
    "initTrigger",
    "liveviewDebounce",
    "liveviewKeyboardMap",
    "keyboardMapInitialized"
  ]);
  var FIELDS = "input, select, textarea";
  var NAMED_FIELDS = "input[name], select[name], textarea[name]";
  function collectData(el) {
    const data = {};
    for (const key of Object.keys(el.dataset)) {
      if (OMIT.has(key) || key.startsWith("liveview")) continue;
      data[key] = el.dataset[key];
    }
    return data;
  }
  function collectForm(el, files) {
    const form = {};
    const fields = [...fieldsOf(el)];
    for (const field of fields) {
      if (field.type === "checkbox") {
        const group = fields.filter((f) => f.type === field.type && f.name === field.name);
        form[field.name] = group[1] ? values(group.filter((f) => f.checked)) : field.checked;
      } else if (field.type === "select-multiple") {
        form[field.name] = values(field.selectedOptions);
      } else if (field.type === "radio") {
        if (field.checked) form[field.name] = field.value;
      } else if (field.type === "file") {
        const names2 = Array.from(field.files, (f) => f.name);
        form[field.name] = field.multiple ? names2 : names2[0] || "";
        if (names2[0]) files.push(field);
      } else {
        form[field.name] = field.value;
      }
    }
    return form;
  }
  var values = (list) => Array.from(list, (f) => f.value);
  function fieldsOf(el) {
    if (el.matches("form")) return el.querySelectorAll(FIELDS);
    const form = el.closest("form");
    if (form) return form.querySelectorAll(FIELDS);
    if (el.matches(FIELDS)) return [el];
    const parent = el.parentElement;
    return parent ? parent.querySelectorAll(NAMED_FIELDS) : [];
  }

  // src/config.js
  var tag = document.currentScript || document.querySelector("script[data-liveview-path]");
  var tagPath = tag?.dataset.liveviewPath || "";
  var tagSrc = tag?.src;
  function defaults() {
    return {
      host: location.host,
      protocol: location.protocol === "https:" ? "wss" : "ws",
      path: tagPath || "/ws/liveview/",
      // upstream ignores "path"; we honour it
      reconnectBaseMs: 1e3,
      // first reconnect delay, before jitter
      reconnectMaxMs: 3e4,
      // cap of the reconnect delay
      restartWindowMs: 5e3,
      // spread after a close 1012 whose reason has no window
      queueLimit: 100,
      // events kept while the socket is not open
      legacyRoomStorage: false,
      // true: upstream's localStorage["room"]
      loadingStates: true,
      // false: no ref on events, no loading states
      expiredMessage: "Your session has expired. Reloading...",
      // the banner after a close 4401
      expiredReloadMs: 1e3,
      // the reload after a close 4401 waits 1 to 5 times this, at random
      disconnectedMessage: "You have been disconnected."
      // the banner after a close 4403 without a reason
    };
  }
  function config() {
    let cfg = window.webSocketConfig;
    if (!cfg || typeof cfg !== "object") {
      cfg = window.webSocketConfig = {};
    }
    const def = defaults();
    for (const key of Object.keys(def)) {
      if (cfg[key] === void 0 || cfg[key] === null) cfg[key] = def[key];
    }
    return cfg;
  }
  function number(key) {
    const n = Number(config()[key]);
    return Number.isFinite(n) && n > 0 ? n : defaults()[key];
  }

  // src/room.js
  var STORAGE_KEY = "room";
  function resolveRoom(cfg) {
    const legacy = cfg.legacyRoomStorage === true;
    if (legacy) {
      const stored = readStorage();
      if (stored?.trim()) return stored;
    }
    const html = document.documentElement;
    let room2 = (html.dataset.room || "").trim();
    if (!room2) {
      room2 = uuidv4();
      html.dataset.room = room2;
    }
    if (legacy) writeStorage(room2);
    return room2;
  }
  function uuidv4() {
    const c = crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    const b = c.getRandomValues(new Uint8Array(16));
    b[6] = b[6] & 15 | 64;
    b[8] = b[8] & 63 | 128;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  function readStorage() {
    try {
      return localStorage.getItem(STORAGE_KEY);
    } catch (_) {
      return null;
    }
  }
  function writeStorage(room2) {
    try {
      localStorage.setItem(STORAGE_KEY, room2);
    } catch (_) {
    }
  }

  // node_modules/idiomorph/dist/idiomorph.esm.js
  var Idiomorph = (function() {
    "use strict";
    const noOp = () => {
    };
    const defaults2 = {
      morphStyle: "outerHTML",
      callbacks: {
        beforeNodeAdded: noOp,
        afterNodeAdded: noOp,
        beforeNodeMorphed: noOp,
        afterNodeMorphed: noOp,
        beforeNodeRemoved: noOp,
        afterNodeRemoved: noOp,
        beforeAttributeUpdated: noOp
      },
      head: {
        style: "merge",
        shouldPreserve: (elt) => elt.getAttribute("im-preserve") === "true",
        shouldReAppend: (elt) => elt.getAttribute("im-re-append") === "true",
        shouldRemove: noOp,
        afterHeadMorphed: noOp
      },
      restoreFocus: true
    };
    function morph(oldNode, newContent, config2 = {}) {
      const oldElt = normalizeElement(oldNode);
      const newNode = normalizeParent(newContent);
      const ctx = createMorphContext(oldElt, newNode, config2);
      return withHeadBlocking(
        ctx,
        oldElt,
        newNode,
        /** @param {MorphContext} ctx */
        (ctx2) => {
          const morphedNodes = saveAndRestoreFocus(ctx2, () => {
            if (ctx2.morphStyle === "innerHTML") {
              morphChildren(ctx2, oldElt, newNode);
              return Array.from(oldElt.childNodes);
            } else {
              return morphOuterHTML(ctx2, oldElt, newNode);
            }
          });
          ctx2.pantry.remove();
          return morphedNodes;
        }
      );
    }
    function morphOuterHTML(ctx, oldNode, newNode) {
      const oldParent = normalizeParent(oldNode);
      morphChildren(
        ctx,
        oldParent,
        newNode,
        // these two optional params are the secret sauce
        oldNode,
        // start point for iteration
        oldNode.nextSibling
        // end point for iteration
      );
      return Array.from(oldParent.childNodes);
    }
    function saveAndRestoreFocus(ctx, fn) {
      if (!ctx.config.restoreFocus) return fn();
      let activeElement = (
        /** @type {HTMLInputElement|HTMLTextAreaElement|null} */
        ctx.doc.activeElement
      );
      if (!(is.inputElement(activeElement) || is.textAreaElement(activeElement))) {
        return fn();
      }
      const { id: activeElementId, selectionStart, selectionEnd } = activeElement;
      const results = fn();
      if (activeElementId && activeElementId !== ctx.doc.activeElement?.getAttribute("id")) {
        activeElement = ctx.target.querySelector(
          `[id="${CSS.escape(activeElementId)}"]`
        );
        activeElement?.focus();
      }
      if (activeElement && !activeElement.selectionEnd && selectionEnd) {
        try {
          activeElement.setSelectionRange(selectionStart, selectionEnd);
        } catch {
        }
      }
      return results;
    }
    const morphChildren = /* @__PURE__ */ (function() {
      function morphChildren2(ctx, oldParent, newParent, insertionPoint = null, endPoint = null) {
        if (is.templateElement(oldParent) && is.templateElement(newParent)) {
          oldParent = oldParent.content;
          newParent = newParent.content;
        }
        insertionPoint || (insertionPoint = oldParent.firstChild);
        for (const newChild of newParent.childNodes) {
          if (insertionPoint && insertionPoint != endPoint) {
            const bestMatch = findBestMatch(
              ctx,
              newChild,
              insertionPoint,
              endPoint
            );
            if (bestMatch) {
              if (bestMatch !== insertionPoint) {
                removeNodesBetween(ctx, insertionPoint, bestMatch);
              }
              morphNode(bestMatch, newChild, ctx);
              insertionPoint = bestMatch.nextSibling;
              continue;
            }
          }
          if (is.element(newChild)) {
            const newChildId = (
              /** @type {String} */
              newChild.getAttribute("id")
            );
            if (ctx.persistentIds.has(newChildId)) {
              const movedChild = moveBeforeById(
                oldParent,
                newChildId,
                insertionPoint,
                ctx
              );
              morphNode(movedChild, newChild, ctx);
              insertionPoint = movedChild.nextSibling;
              continue;
            }
          }
          const insertedNode = createNode(
            oldParent,
            newChild,
            insertionPoint,
            ctx
          );
          if (insertedNode) {
            insertionPoint = insertedNode.nextSibling;
          }
        }
        while (insertionPoint && insertionPoint != endPoint) {
          const tempNode = insertionPoint;
          insertionPoint = insertionPoint.nextSibling;
          removeNode(ctx, tempNode);
        }
      }
      function createNode(oldParent, newChild, insertionPoint, ctx) {
        if (ctx.callbacks.beforeNodeAdded(newChild) === false) return null;
        if (ctx.idMap.has(newChild)) {
          const newEmptyChild = ctx.doc.createElementNS(
            /** @type {Element} */
            newChild.namespaceURI,
            /** @type {Element} */
            newChild.localName
          );
          oldParent.insertBefore(newEmptyChild, insertionPoint);
          morphNode(newEmptyChild, newChild, ctx);
          ctx.callbacks.afterNodeAdded(newEmptyChild);
          return newEmptyChild;
        } else {
          const newClonedChild = ctx.doc.importNode(newChild, true);
          oldParent.insertBefore(newClonedChild, insertionPoint);
          ctx.callbacks.afterNodeAdded(newClonedChild);
          return newClonedChild;
        }
      }
      const findBestMatch = /* @__PURE__ */ (function() {
        function findBestMatch2(ctx, node, startPoint, endPoint) {
          let softMatch = null;
          let nextSibling = node.nextSibling;
          let siblingSoftMatchCount = 0;
          let cursor = startPoint;
          while (cursor && cursor != endPoint) {
            if (isSoftMatch(cursor, node)) {
              if (isIdSetMatch(ctx, cursor, node)) {
                return cursor;
              }
              if (softMatch === null) {
                if (!ctx.idMap.has(cursor)) {
                  softMatch = cursor;
                }
              }
            }
            if (softMatch === null && nextSibling && isSoftMatch(cursor, nextSibling)) {
              siblingSoftMatchCount++;
              nextSibling = nextSibling.nextSibling;
              if (siblingSoftMatchCount >= 2) {
                softMatch = void 0;
              }
            }
            if (ctx.activeElementAndParents.includes(cursor)) break;
            cursor = cursor.nextSibling;
          }
          return softMatch || null;
        }
        function isIdSetMatch(ctx, oldNode, newNode) {
          let oldSet = ctx.idMap.get(oldNode);
          let newSet = ctx.idMap.get(newNode);
          if (!newSet || !oldSet) return false;
          for (const id of oldSet) {
            if (newSet.has(id)) {
              return true;
            }
          }
          return false;
        }
        function isSoftMatch(oldNode, newNode) {
          const oldElt = (
            /** @type {Element} */
            oldNode
          );
          const newElt = (
            /** @type {Element} */
            newNode
          );
          return oldElt.nodeType === newElt.nodeType && oldElt.tagName === newElt.tagName && // If oldElt has an `id` with possible state and it doesn't match newElt.id then avoid morphing.
          // We'll still match an anonymous node with an IDed newElt, though, because if it got this far,
          // its not persistent, and new nodes can't have any hidden state.
          // We can't use .id because of form input shadowing, and we can't count on .getAttribute's presence because it could be a document-fragment
          (!oldElt.getAttribute?.("id") || oldElt.getAttribute?.("id") === newElt.getAttribute?.("id"));
        }
        return findBestMatch2;
      })();
      function removeNode(ctx, node) {
        if (node === ctx.pantry) return;
        if (ctx.idMap.has(node)) {
          moveBefore(ctx.pantry, node, null);
        } else {
          if (ctx.callbacks.beforeNodeRemoved(node) === false) return;
          node.parentNode?.removeChild(node);
          ctx.callbacks.afterNodeRemoved(node);
        }
      }
      function removeNodesBetween(ctx, startInclusive, endExclusive) {
        let cursor = startInclusive;
        while (cursor && cursor !== endExclusive) {
          let tempNode = (
            /** @type {Node} */
            cursor
          );
          cursor = cursor.nextSibling;
          removeNode(ctx, tempNode);
        }
        return cursor;
      }
      function moveBeforeById(parentNode, id, after, ctx) {
        const selector = `[id="${CSS.escape(id)}"]`;
        const target = (
          /** @type {Element} - will always be found */
          // ctx.target.id unsafe because of form input shadowing
          // ctx.target could be a document fragment which doesn't have `getAttribute`
          ctx.target.getAttribute?.("id") === id && ctx.target || ctx.target.querySelector(selector) || ctx.pantry.querySelector(selector)
        );
        removeElementFromAncestorsIdMaps(target, ctx);
        moveBefore(parentNode, target, after);
        return target;
      }
      function removeElementFromAncestorsIdMaps(element, ctx) {
        const id = (
          /** @type {String} */
          element.getAttribute("id")
        );
        while (element = element.parentNode) {
          let idSet = ctx.idMap.get(element);
          if (idSet) {
            idSet.delete(id);
            if (!idSet.size) {
              ctx.idMap.delete(element);
            }
          }
        }
      }
      function moveBefore(parentNode, element, after) {
        if (parentNode.moveBefore) {
          try {
            parentNode.moveBefore(element, after);
          } catch (e) {
            parentNode.insertBefore(element, after);
          }
        } else {
          parentNode.insertBefore(element, after);
        }
      }
      return morphChildren2;
    })();
    const morphNode = /* @__PURE__ */ (function() {
      function morphNode2(oldNode, newContent, ctx) {
        if (ctx.ignoreActive && oldNode === ctx.doc.activeElement) {
          return null;
        }
        if (ctx.callbacks.beforeNodeMorphed(oldNode, newContent) === false) {
          return oldNode;
        }
        if (is.headElement(oldNode) && ctx.head.style === "none") {
        } else if (is.headElement(oldNode) && ctx.head.style !== "morph") {
          handleHeadElement(
            oldNode,
            /** @type {HTMLHeadElement} */
            newContent,
            ctx
          );
        } else {
          morphAttributes(oldNode, newContent, ctx);
          if (!ignoreValueOfActiveElement(oldNode, ctx)) {
            morphChildren(ctx, oldNode, newContent);
          }
        }
        ctx.callbacks.afterNodeMorphed(oldNode, newContent);
        return oldNode;
      }
      function morphAttributes(oldNode, newNode, ctx) {
        let type = newNode.nodeType;
        if (type === 1) {
          const oldElt = (
            /** @type {Element} */
            oldNode
          );
          const newElt = (
            /** @type {Element} */
            newNode
          );
          const oldAttributes = oldElt.attributes;
          const newAttributes = newElt.attributes;
          for (const newAttribute of newAttributes) {
            if (oldElt.getAttribute(newAttribute.name) === newAttribute.value) {
              continue;
            }
            if (ignoreAttribute(newAttribute.name, oldElt, "update", ctx)) {
              continue;
            }
            oldElt.setAttributeNode(
              /** @type {Attr} */
              newAttribute.cloneNode()
            );
          }
          for (let i = oldAttributes.length - 1; 0 <= i; i--) {
            const oldAttribute = oldAttributes[i];
            if (!oldAttribute) continue;
            if (!newElt.hasAttribute(oldAttribute.name)) {
              if (ignoreAttribute(oldAttribute.name, oldElt, "remove", ctx)) {
                continue;
              }
              oldElt.removeAttribute(oldAttribute.name);
            }
          }
          if (!ignoreValueOfActiveElement(oldElt, ctx)) {
            syncInputValue(oldElt, newElt, ctx);
          }
        }
        if (type === 8 || type === 3) {
          if (oldNode.nodeValue !== newNode.nodeValue) {
            oldNode.nodeValue = newNode.nodeValue;
          }
        }
      }
      function syncInputValue(oldElement, newElement, ctx) {
        if (is.inputElement(oldElement) && is.inputElement(newElement) && newElement.type !== "file") {
          let newValue = newElement.value;
          let oldValue = oldElement.value;
          syncBooleanAttribute(oldElement, newElement, "checked", ctx);
          syncBooleanAttribute(oldElement, newElement, "disabled", ctx);
          if (!newElement.hasAttribute("value")) {
            if (!ignoreAttribute("value", oldElement, "remove", ctx)) {
              oldElement.value = "";
              oldElement.removeAttribute("value");
            }
          } else if (oldValue !== newValue) {
            if (!ignoreAttribute("value", oldElement, "update", ctx)) {
              oldElement.setAttribute("value", newValue);
              oldElement.value = newValue;
            }
          }
        } else if (is.optionElement(oldElement) && is.optionElement(newElement)) {
          syncBooleanAttribute(oldElement, newElement, "selected", ctx);
        } else if (is.textAreaElement(oldElement) && is.textAreaElement(newElement)) {
          let newValue = newElement.value;
          let oldValue = oldElement.value;
          if (ignoreAttribute("value", oldElement, "update", ctx)) {
            return;
          }
          if (newValue !== oldValue) {
            oldElement.value = newValue;
          }
          if (oldElement.firstChild && oldElement.firstChild.nodeValue !== newValue) {
            oldElement.firstChild.nodeValue = newValue;
          }
        }
      }
      function syncBooleanAttribute(oldElement, newElement, attributeName, ctx) {
        const newLiveValue = newElement[attributeName], oldLiveValue = oldElement[attributeName];
        if (newLiveValue !== oldLiveValue) {
          const ignoreUpdate = ignoreAttribute(
            attributeName,
            oldElement,
            "update",
            ctx
          );
          if (!ignoreUpdate) {
            oldElement[attributeName] = newElement[attributeName];
          }
          if (newLiveValue) {
            if (!ignoreUpdate) {
              oldElement.setAttribute(attributeName, "");
            }
          } else {
            if (!ignoreAttribute(attributeName, oldElement, "remove", ctx)) {
              oldElement.removeAttribute(attributeName);
            }
          }
        }
      }
      function ignoreAttribute(attr, element, updateType, ctx) {
        if (attr === "value" && ctx.ignoreActiveValue && element === ctx.doc.activeElement) {
          return true;
        }
        return ctx.callbacks.beforeAttributeUpdated(attr, element, updateType) === false;
      }
      function ignoreValueOfActiveElement(possibleActiveElement, ctx) {
        return !!ctx.ignoreActiveValue && possibleActiveElement === ctx.doc.activeElement && possibleActiveElement !== ctx.doc.body;
      }
      return morphNode2;
    })();
    function withHeadBlocking(ctx, oldNode, newNode, callback) {
      if (ctx.head.block && ctx.head.style !== "none") {
        const oldHead = oldNode.querySelector("head");
        const newHead = newNode.querySelector("head");
        if (oldHead && newHead) {
          const promises = handleHeadElement(oldHead, newHead, ctx);
          return Promise.all(promises).then(() => {
            const newCtx = Object.assign(ctx, {
              head: {
                block: false,
                style: "none"
              }
            });
            return callback(newCtx);
          });
        }
      }
      return callback(ctx);
    }
    function handleHeadElement(oldHead, newHead, ctx) {
      let added = [];
      let removed = [];
      let preserved = [];
      let nodesToAppend = [];
      let srcToNewHeadNodes = /* @__PURE__ */ new Map();
      for (const newHeadChild of newHead.children) {
        srcToNewHeadNodes.set(newHeadChild.outerHTML, newHeadChild);
      }
      for (const currentHeadElt of oldHead.children) {
        let inNewContent = srcToNewHeadNodes.has(currentHeadElt.outerHTML);
        let isReAppended = ctx.head.shouldReAppend(currentHeadElt);
        let isPreserved = ctx.head.shouldPreserve(currentHeadElt);
        if (inNewContent || isPreserved) {
          if (isReAppended) {
            removed.push(currentHeadElt);
          } else {
            srcToNewHeadNodes.delete(currentHeadElt.outerHTML);
            preserved.push(currentHeadElt);
          }
        } else {
          if (ctx.head.style === "append") {
            if (isReAppended) {
              removed.push(currentHeadElt);
              nodesToAppend.push(currentHeadElt);
            }
          } else {
            if (ctx.head.shouldRemove(currentHeadElt) !== false) {
              removed.push(currentHeadElt);
            }
          }
        }
      }
      nodesToAppend.push(...srcToNewHeadNodes.values());
      let promises = [];
      for (const newNode of nodesToAppend) {
        let newElt = (
          /** @type {ChildNode} */
          ctx.doc.createRange().createContextualFragment(newNode.outerHTML).firstChild
        );
        if (ctx.callbacks.beforeNodeAdded(newElt) !== false) {
          if ("href" in newElt && newElt.href || "src" in newElt && newElt.src) {
            let resolve;
            let promise = new Promise(function(_resolve) {
              resolve = _resolve;
            });
            newElt.addEventListener("load", function() {
              resolve();
            });
            promises.push(promise);
          }
          oldHead.appendChild(newElt);
          ctx.callbacks.afterNodeAdded(newElt);
          added.push(newElt);
        }
      }
      for (const removedElement of removed) {
        if (ctx.callbacks.beforeNodeRemoved(removedElement) !== false) {
          oldHead.removeChild(removedElement);
          ctx.callbacks.afterNodeRemoved(removedElement);
        }
      }
      ctx.head.afterHeadMorphed(oldHead, {
        added,
        kept: preserved,
        removed
      });
      return promises;
    }
    const createMorphContext = /* @__PURE__ */ (function() {
      function createMorphContext2(oldNode, newContent, config2) {
        const { persistentIds, idMap } = createIdMaps(oldNode, newContent);
        const mergedConfig = mergeDefaults(config2);
        const morphStyle = mergedConfig.morphStyle || "outerHTML";
        if (!["innerHTML", "outerHTML"].includes(morphStyle)) {
          throw `Do not understand how to morph style ${morphStyle}`;
        }
        if (morphStyle === "innerHTML" && !oldNode.append) {
          throw `Cannot morph the innerHTML of a ${oldNode.nodeName} node, as it cannot have children`;
        }
        const headStyle = mergedConfig.head.style || "merge";
        if (!["merge", "append", "morph", "none"].includes(headStyle)) {
          throw `Do not understand how to morph head style ${headStyle}`;
        }
        const doc = oldNode.ownerDocument;
        return {
          target: oldNode,
          newContent,
          doc,
          config: mergedConfig,
          morphStyle,
          ignoreActive: mergedConfig.ignoreActive,
          ignoreActiveValue: mergedConfig.ignoreActiveValue,
          restoreFocus: mergedConfig.restoreFocus,
          idMap,
          persistentIds,
          pantry: createPantry(doc),
          activeElementAndParents: createActiveElementAndParents(oldNode, doc),
          callbacks: mergedConfig.callbacks,
          head: mergedConfig.head
        };
      }
      function mergeDefaults(config2) {
        let finalConfig = Object.assign({}, defaults2);
        Object.assign(finalConfig, config2);
        finalConfig.callbacks = Object.assign(
          {},
          defaults2.callbacks,
          config2.callbacks
        );
        finalConfig.head = Object.assign({}, defaults2.head, config2.head);
        return finalConfig;
      }
      function createPantry(doc) {
        const pantry = doc.createElement("div");
        pantry.hidden = true;
        doc.documentElement.append(pantry);
        return pantry;
      }
      function createActiveElementAndParents(oldNode, doc) {
        let activeElementAndParents = [];
        let elt = doc.activeElement;
        if (elt?.tagName !== "BODY" && oldNode.contains(elt)) {
          while (elt) {
            activeElementAndParents.push(elt);
            if (elt === oldNode) break;
            elt = elt.parentElement;
          }
        }
        return activeElementAndParents;
      }
      function findIdElements(root) {
        let elements = [];
        const rootElt = (
          /** @type {Partial<Element>} */
          root
        );
        for (const elt of rootElt.querySelectorAll?.("[id]") ?? []) {
          const id = elt.getAttribute("id");
          if (id) elements.push({ elt, id });
        }
        const rootId = rootElt.getAttribute?.("id");
        if (rootId)
          elements.push({ elt: (
            /** @type {Element} */
            root
          ), id: rootId });
        return elements;
      }
      function populateIdMapWithTree(idMap, persistentIds, root, elements) {
        for (const { elt, id } of elements) {
          if (persistentIds.has(id)) {
            let current = elt;
            while (current) {
              let idSet = idMap.get(current);
              if (idSet == null) {
                idSet = /* @__PURE__ */ new Set();
                idMap.set(current, idSet);
              }
              idSet.add(id);
              if (current === root) break;
              current = current.parentElement;
            }
          }
        }
      }
      function createIdMaps(oldContent, newContent) {
        const oldIdElements = findIdElements(oldContent);
        const newIdElements = findIdElements(newContent);
        const persistentIds = createPersistentIds(oldIdElements, newIdElements);
        let idMap = /* @__PURE__ */ new Map();
        populateIdMapWithTree(idMap, persistentIds, oldContent, oldIdElements);
        const newRoot = newContent.__idiomorphRoot || newContent;
        populateIdMapWithTree(idMap, persistentIds, newRoot, newIdElements);
        return { persistentIds, idMap };
      }
      function createPersistentIds(oldIdElements, newIdElements) {
        let duplicateIds = /* @__PURE__ */ new Set();
        let oldIdTagNameMap = /* @__PURE__ */ new Map();
        for (const { elt, id } of oldIdElements) {
          if (oldIdTagNameMap.has(id)) {
            duplicateIds.add(id);
          } else {
            oldIdTagNameMap.set(id, elt.tagName);
          }
        }
        let persistentIds = /* @__PURE__ */ new Set();
        for (const { elt, id } of newIdElements) {
          if (persistentIds.has(id)) {
            duplicateIds.add(id);
          } else if (oldIdTagNameMap.get(id) === elt.tagName) {
            persistentIds.add(id);
          }
        }
        for (const id of duplicateIds) {
          persistentIds.delete(id);
        }
        if (duplicateIds.size) {
          console.warn(
            "[Warning] duplicate ids found during morph, state loss within these elements is possible:",
            Array.from(duplicateIds)
          );
        }
        return persistentIds;
      }
      return createMorphContext2;
    })();
    const { normalizeElement, normalizeParent } = /* @__PURE__ */ (function() {
      const generatedByIdiomorph = /* @__PURE__ */ new WeakSet();
      function normalizeElement2(content) {
        if (is.document(content)) {
          return content.documentElement;
        } else {
          return (
            /** @type {Element} */
            content
          );
        }
      }
      function normalizeParent2(newContent) {
        if (newContent == null) {
          return document.createElement("div");
        } else if (typeof newContent === "string") {
          return normalizeParent2(parseContent(newContent));
        } else if (generatedByIdiomorph.has(
          /** @type {Element} */
          newContent
        )) {
          return (
            /** @type {Element} */
            newContent
          );
        } else if (is.node(newContent)) {
          if (newContent.parentNode) {
            return (
              /** @type {any} */
              new SlicedParentNode(newContent)
            );
          } else {
            const dummyParent = document.createElement("div");
            dummyParent.append(newContent);
            return dummyParent;
          }
        } else {
          const dummyParent = document.createElement("div");
          for (const elt of [...newContent]) {
            dummyParent.append(elt);
          }
          return dummyParent;
        }
      }
      class SlicedParentNode {
        /** @param {Node} node */
        constructor(node) {
          this.originalNode = node;
          this.realParentNode = /** @type {Element} */
          node.parentNode;
          this.previousSibling = node.previousSibling;
          this.nextSibling = node.nextSibling;
        }
        /** @returns {Node[]} */
        get childNodes() {
          const nodes = [];
          let cursor = this.previousSibling ? this.previousSibling.nextSibling : this.realParentNode.firstChild;
          while (cursor && cursor != this.nextSibling) {
            nodes.push(cursor);
            cursor = cursor.nextSibling;
          }
          return nodes;
        }
        /**
         * @param {string} selector
         * @returns {Element[]}
         */
        querySelectorAll(selector) {
          return this.childNodes.reduce(
            (results, node) => {
              if (is.element(node)) {
                if (node.matches(selector)) results.push(node);
                const nodeList = node.querySelectorAll(selector);
                for (let i = 0; i < nodeList.length; i++) {
                  results.push(nodeList[i]);
                }
              }
              return results;
            },
            /** @type {Element[]} */
            []
          );
        }
        /**
         * @param {Node} node
         * @param {Node} referenceNode
         * @returns {Node}
         */
        insertBefore(node, referenceNode) {
          return this.realParentNode.insertBefore(node, referenceNode);
        }
        /**
         * @param {Node} node
         * @param {Node} referenceNode
         * @returns {Node}
         */
        moveBefore(node, referenceNode) {
          return this.realParentNode.moveBefore(node, referenceNode);
        }
        /**
         * for later use with populateIdMapWithTree to halt upwards iteration
         * @returns {Node}
         */
        get __idiomorphRoot() {
          return this.originalNode;
        }
      }
      function parseContent(newContent) {
        let parser = new DOMParser();
        let contentWithSvgsRemoved = newContent.replace(
          /<svg(\s[^>]*>|>)([\s\S]*?)<\/svg>/gim,
          ""
        );
        if (contentWithSvgsRemoved.match(/<\/html>/) || contentWithSvgsRemoved.match(/<\/head>/) || contentWithSvgsRemoved.match(/<\/body>/)) {
          let content = parser.parseFromString(newContent, "text/html");
          content.doctype?.remove();
          if (contentWithSvgsRemoved.match(/<\/html>/)) {
            generatedByIdiomorph.add(content);
            return content;
          } else {
            let htmlElement = content.firstChild;
            if (htmlElement) {
              generatedByIdiomorph.add(htmlElement);
            }
            return htmlElement;
          }
        } else {
          let responseDoc = parser.parseFromString(
            "<body><template>" + newContent + "</template></body>",
            "text/html"
          );
          let content = (
            /** @type {HTMLTemplateElement} */
            responseDoc.body.querySelector("template").content
          );
          generatedByIdiomorph.add(content);
          return content;
        }
      }
      return { normalizeElement: normalizeElement2, normalizeParent: normalizeParent2 };
    })();
    const is = /* @__PURE__ */ (function() {
      const element = (value) => value instanceof Element || value?.nodeType === Node.ELEMENT_NODE;
      const htmlElement = (value, localName) => element(value) && value.localName === localName && value.namespaceURI === "http://www.w3.org/1999/xhtml";
      return {
        element,
        /** @param {unknown} value @returns {value is Node} */
        node: (value) => value instanceof Node || typeof /** @type {any} */
        value?.nodeType === "number",
        /** @param {Node | null | undefined} value @returns {value is Document} */
        document: (value) => value instanceof Document || value?.nodeType === Node.DOCUMENT_NODE,
        /** @param {Node | null | undefined} value @returns {value is HTMLTemplateElement} */
        templateElement: (value) => htmlElement(value, "template"),
        /** @param {Node | null | undefined} value @returns {value is HTMLHeadElement} */
        headElement: (value) => htmlElement(value, "head"),
        /** @param {Node | null | undefined} value @returns {value is HTMLInputElement} */
        inputElement: (value) => htmlElement(value, "input"),
        /** @param {Node | null | undefined} value @returns {value is HTMLOptionElement} */
        optionElement: (value) => htmlElement(value, "option"),
        /** @param {Node | null | undefined} value @returns {value is HTMLTextAreaElement} */
        textAreaElement: (value) => htmlElement(value, "textarea")
      };
    })();
    return {
      morph,
      defaults: defaults2
    };
  })();

  // src/scripts.js
  var SCRIPT_SELECTOR = 'script:not([type]), script[type="text/javascript"]';
  function runScript(el, src) {
    try {
      new Function("el", src).call(el, el);
    } catch (err) {
      console.error("LiveView script error:", err);
    }
  }
  function cleanup(el) {
    const hook = el.__cleanup;
    delete el.__cleanup;
    if (typeof hook !== "function") return;
    try {
      hook.call(el);
    } catch (err) {
      console.error("LiveView cleanup error:", err);
    }
  }
  function query(selector) {
    try {
      return document.querySelector(selector);
    } catch (err) {
      console.error(`LiveView: invalid selector ${selector}`, err);
      return null;
    }
  }
  function withSelf(root, selector) {
    const list = root.matches(selector) ? [root] : [];
    return [...list, ...root.querySelectorAll(selector)];
  }

  // src/warn.js
  var warned = /* @__PURE__ */ new Set();
  function warnOnce(text, ...args) {
    if (warned.has(text)) return;
    warned.add(text);
    console.warn("LiveView: " + text, ...args);
  }

  // src/flash.js
  var KEY = "liveview-flash";
  var BOX = "[data-liveview-flash]";
  var shown = /* @__PURE__ */ new Map();
  function flash(f) {
    if (f?.kind) {
      const kind = f.kind;
      drop(kind);
      if (f.text) {
        const el = document.createElement("div");
        el.className = "liveview-flash liveview-flash-" + kind;
        el.setAttribute("role", kind === "error" ? "alert" : "status");
        el.textContent = f.text;
        const b = el.appendChild(document.createElement("button"));
        b.type = "button";
        b.setAttribute("aria-label", "Close");
        b.textContent = "\xD7";
        b.onclick = () => drop(kind, el);
        el.f = f;
        const ms = +document.querySelector(BOX)?.dataset.liveviewFlash;
        if (ms > 0) setTimeout(() => drop(kind, el), ms);
        shown.set(kind, el);
      }
    }
    placeFlashes();
  }
  function drop(kind, el = shown.get(kind)) {
    if (shown.get(kind) === el) {
      el?.remove();
      shown.delete(kind);
    }
  }
  function placeFlashes() {
    const box = document.querySelector(BOX);
    if (!box) {
      if (shown.size) warnOnce("no " + BOX + " element for a flash");
      return;
    }
    for (const el of shown.values()) if (el.parentNode !== box) box.appendChild(el);
  }
  function redirect(url) {
    let u;
    try {
      u = new URL(url, location.href);
      if (u.origin === location.origin) {
        sessionStorage.setItem(KEY, JSON.stringify(Array.from(shown.values(), (el) => el.f)));
      }
    } catch (_) {
    }
    if (u && /^https?:$/.test(u.protocol)) location.assign(u);
    else console.error("LiveView: redirect refused", url);
  }
  function restoreFlashes(saved) {
    if (!Array.isArray(saved)) return;
    sessionStorage.removeItem(KEY);
    for (const f of saved) flash(f);
  }

  // src/history.js
  var KEY2 = "liveview-history";
  var MAX_ENTRIES = 50;
  var QUOTA_FALLBACK = 25;
  var SCROLL_DELAY_MS = 50;
  var PERMANENT = "[data-liveview-permanent]";
  var MARKERS = [
    "data-intersection-observed",
    "data-intersection-threshold-used",
    "data-keyboard-map-initialized",
    "data-init-trigger",
    "data-intersection-trigger",
    "aria-busy"
  ];
  var journal = null;
  var memoryOnly = false;
  function initHistory() {
    try {
      history.scrollRestoration = "manual";
    } catch (_) {
    }
    const saved = load(KEY2);
    const index = history.state?.liveviewIndex;
    if (saved && Array.isArray(saved.entries) && Array.isArray(saved.touched) && Number.isInteger(index) && saved.entries[index]) {
      journal = saved;
      journal.index = index;
    } else {
      journal = { index: 0, entries: [entry()], touched: [], baselines: {} };
      replaceIndex(0);
      save();
    }
    restoreFlashes(load(KEY));
    addEventListener("popstate", onPopState);
    addEventListener("pagehide", () => {
      snapshotCurrent();
      save();
    });
  }
  function trackRegion(selector) {
    if (!journal || journal.touched.includes(selector)) return;
    const el = query(selector);
    if (!el || el.closest(PERMANENT)) return;
    journal.touched.push(selector);
    journal.baselines[selector] = { index: journal.index, html: snapshot(el) };
    save();
  }
  function trackRemoval(el) {
    const parent = el.parentElement;
    if (parent && document.body.contains(parent)) trackRegion(selectorOf(parent));
  }
  function pushUrl(url) {
    if (!journal) return;
    snapshotCurrent();
    const index = journal.index + 1;
    journal.entries.length = index;
    try {
      history.pushState({ ...history.state || {}, liveviewIndex: index }, "", url);
    } catch (err) {
      console.error("LiveView: cannot push URL", url, err);
      return;
    }
    journal.index = index;
    journal.entries.push(entry());
    prune2(MAX_ENTRIES);
    save();
  }
  function onPopState(event) {
    const index = event.state?.liveviewIndex;
    if (!Number.isInteger(index)) return;
    const target = journal.entries[index];
    if (!target || !target.regions) {
      location.reload();
      return;
    }
    snapshotCurrent();
    journal.index = index;
    const restored = restoreRegions(index);
    document.title = target.title;
    if (target.lang) document.documentElement.setAttribute("lang", target.lang);
    else document.documentElement.removeAttribute("lang");
    replayScripts(restored);
    placeFlashes();
    setTimeout(() => scrollTo(target.scrollX, target.scrollY), SCROLL_DELAY_MS);
    save();
    document.dispatchEvent(
      new CustomEvent("liveview:history-restored", { detail: { url: location.href, index } })
    );
  }
  function restoreRegions(index) {
    const regions = journal.entries[index].regions;
    const depth = (sel) => {
      const el = query(sel);
      let d = 0;
      for (let n = el; n; n = n.parentElement) d++;
      return d;
    };
    const order = journal.touched.filter((sel) => query(sel)).sort((a, b) => depth(a) - depth(b));
    const restored = [];
    for (const sel of order) {
      const el = query(sel);
      if (!el) continue;
      let html = regions[sel];
      const base2 = journal.baselines[sel];
      if (html === void 0 && base2 && base2.index >= index) html = base2.html;
      if (html === void 0) continue;
      const permanent = [...el.querySelectorAll(`${PERMANENT}[id]`)];
      cleanup(el);
      el.innerHTML = html;
      for (const live of permanent) {
        const placeholder = el.querySelector(`#${CSS.escape(live.id)}`);
        if (placeholder) placeholder.replaceWith(live);
      }
      restored.push(el);
    }
    return restored;
  }
  function replayScripts(regions) {
    const seen = /* @__PURE__ */ new Set();
    for (const region of regions.slice().reverse()) {
      for (const script of region.querySelectorAll(SCRIPT_SELECTOR)) {
        if (seen.has(script)) continue;
        seen.add(script);
        if (script.getAttribute("data-liveview-replay") === "false" || script.closest(PERMANENT)) continue;
        runScript(region, script.textContent);
      }
    }
  }
  function snapshotCurrent() {
    const current = journal?.entries[journal.index];
    if (!current) return;
    Object.assign(current, entry(), { regions: current.regions || {} });
    for (const sel of journal.touched) {
      const el = query(sel);
      if (el) current.regions[sel] = snapshot(el);
    }
  }
  function entry() {
    return {
      url: location.href,
      title: document.title,
      lang: document.documentElement.getAttribute("lang"),
      scrollX,
      scrollY,
      regions: {}
    };
  }
  function snapshot(el) {
    const copy = el.cloneNode(true);
    const live = el.querySelectorAll("input, textarea, select");
    const copies = copy.querySelectorAll("input, textarea, select");
    live.forEach((field, i) => copyValue(field, copies[i]));
    for (const node of copy.querySelectorAll(PERMANENT)) node.innerHTML = "";
    for (const name of MARKERS) {
      for (const node of copy.querySelectorAll(`[${name}]`)) node.removeAttribute(name);
    }
    for (const node of copy.querySelectorAll(".liveview-loading")) node.classList.remove("liveview-loading");
    for (const node of copy.querySelectorAll(".liveview-flash")) node.remove();
    return copy.innerHTML;
  }
  function copyValue(field, copy) {
    if (!copy) return;
    if (field.tagName === "TEXTAREA") {
      copy.textContent = field.value;
    } else if (field.tagName === "SELECT") {
      [...field.options].forEach((opt, i) => copy.options[i]?.toggleAttribute("selected", opt.selected));
    } else if (field.type === "checkbox" || field.type === "radio") {
      copy.toggleAttribute("checked", field.checked);
    } else if (field.type !== "password" && field.type !== "file") {
      copy.setAttribute("value", field.value);
    }
  }
  function selectorOf(el) {
    if (el.id) return `#${CSS.escape(el.id)}`;
    const path = [];
    for (let n = el; n && n !== document.body; n = n.parentElement) {
      path.unshift(`:nth-child(${Array.prototype.indexOf.call(n.parentElement.children, n) + 1})`);
    }
    return ["body", ...path].join(" > ");
  }
  function prune2(keep) {
    const last = journal.entries.length - keep;
    for (let i = 0; i < last; i++) journal.entries[i].regions = null;
  }
  function replaceIndex(index) {
    try {
      history.replaceState({ ...history.state || {}, liveviewIndex: index }, "");
    } catch (_) {
    }
  }
  function load(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key));
    } catch (_) {
      return null;
    }
  }
  function save() {
    if (memoryOnly) return;
    try {
      sessionStorage.setItem(KEY2, JSON.stringify(journal));
    } catch (_) {
      prune2(QUOTA_FALLBACK);
      try {
        sessionStorage.setItem(KEY2, JSON.stringify(journal));
      } catch (_2) {
        memoryOnly = true;
      }
    }
  }

  // src/loading.js
  var pending = /* @__PURE__ */ new Map();
  var busy = /* @__PURE__ */ new WeakMap();
  var replies = /* @__PURE__ */ new Map();
  function awaitReply(ref, fn) {
    replies.set(ref, fn);
  }
  function startLoading(ref, el) {
    if (!el?.isConnected) return;
    pending.set(ref, el);
    let state = busy.get(el);
    if (state) {
      state.count += 1;
      return;
    }
    state = { count: 1, text: null, disabled: el.disabled };
    busy.set(el, state);
    el.setAttribute("aria-busy", "true");
    el.classList.add("liveview-loading");
    const label = el.getAttribute("data-liveview-disable-with");
    if (label !== null) {
      state.text = el.textContent;
      el.textContent = label;
      if ("disabled" in el) el.disabled = true;
    }
  }
  function finishLoading(ref, frame) {
    const reply = replies.get(ref);
    if (reply) {
      replies.delete(ref);
      reply(frame);
    }
    const el = pending.get(ref);
    if (!el) return;
    pending.delete(ref);
    const state = busy.get(el);
    if (!state || --state.count > 0) return;
    busy.delete(el);
    el.removeAttribute("aria-busy");
    el.classList.remove("liveview-loading");
    if (state.text !== null) {
      el.textContent = state.text;
      if ("disabled" in el) el.disabled = state.disabled;
    }
  }
  function finishAll(refs) {
    for (const ref of refs) finishLoading(ref);
  }

  // src/upload.js
  var base = tagSrc;
  var chunk = (url, name) => import(url || new URL(name, base || location.href));
  function upload(message, trigger, inputs) {
    message = stamp(message, trigger);
    chunk(config().uploadsURL, "liveview.uploads.e5dfb3bd21ad.js").then(
      () => lv.start(message, inputs),
      (err) => {
        lv.done([message.ref]);
        throw err;
      }
    );
  }

  // src/hookstub.js
  var SELECTOR = "[data-liveview-hook]";
  var loading = false;
  var load2 = () => loading || (loading = chunk(config().hooksURL, "liveview.hooks.4e17f37e7f8d.js"));
  var watchHooks = () => setTimeout(() => (window.liveviewHooks || document.querySelector(SELECTOR)) && load2(), 0);
  function updateHooks(el, deep) {
    if (lv.hooks) lv.hooks.u(el, deep);
    else if (el.closest(SELECTOR) || el.querySelector(SELECTOR)) load2();
  }
  var reconnectHooks = () => lv.hooks?.r();

  // src/commands.js
  var words = (a) => a.split(/\s+/);
  var COMMANDS = {
    __proto__: null,
    show: (el) => el.removeAttribute("hidden"),
    hide: (el) => el.setAttribute("hidden", ""),
    toggle: (el) => el.toggleAttribute("hidden"),
    "add-class": (el, a) => el.classList.add(...words(a)),
    "remove-class": (el, a) => el.classList.remove(...words(a)),
    "toggle-class": (el, a) => words(a).forEach((c) => el.classList.toggle(c)),
    "toggle-attribute": (el, a) => el.toggleAttribute(a),
    // aria-* and data-* only: no on* handler or javascript: URL from a
    // sanitizer that lets data-* attributes through.
    "set-attribute": (el, a) => el.setAttribute(...SET.exec(a).slice(1)),
    focus: (el) => el.focus(),
    dispatch: (el, a) => el.dispatchEvent(new CustomEvent(a, { bubbles: true, cancelable: true }))
  };
  var SET = /^((?:aria|data)-[^=]*)=?(.*)$/;
  var SYNTAX = /^([\w-]+)\s*(?:\(([^)]*)\))?\s*(?::(.*))?$/;
  function runJS(list, self) {
    for (let c of String(list).split(";")) {
      if (!(c = c.trim())) continue;
      try {
        const [, name, arg = "", sel = ""] = SYNTAX.exec(c) || [];
        const f = COMMANDS[name];
        const a = arg.trim();
        const s = sel.trim();
        if (!f || f.length > 1 !== !!a || !(s || self)) throw c;
        const els = s ? [...document.querySelectorAll(s)] : [self];
        for (const el of name === "focus" ? els.slice(0, 1) : els) f(el, a);
      } catch (err) {
        warnOnce(`cannot run JS command "${c}"`, err);
      }
    }
  }

  // src/stream.js
  var MORPH = { morphStyle: "outerHTML", ignoreActiveValue: true, restoreFocus: true };
  function applyStream(s) {
    const box = query(s.target);
    if (!box) {
      console.error(`LiveView: target ${s.target} not found`);
      return;
    }
    trackRegion(s.target);
    const drop2 = (el) => {
      cleanup(el);
      el.remove();
    };
    if (s.reset) {
      for (const el of box.children) cleanup(el);
      box.textContent = "";
    }
    const kids = /* @__PURE__ */ new Map();
    for (const el of box.children) if (el.id && !kids.has(el.id)) kids.set(el.id, el);
    const scripts = [];
    const morphed = [];
    let frag = null;
    let front = false;
    const flush2 = () => {
      if (frag) front ? box.prepend(frag) : box.append(frag);
      frag = null;
    };
    for (const it of Array.isArray(s.items) ? s.items : []) {
      const id = it?.id;
      if (typeof id !== "string" || !id) continue;
      let el = kids.get(id);
      if (it.delete) {
        if (el) drop2(el);
        kids.delete(id);
        continue;
      }
      const t = document.createElement("template");
      t.innerHTML = String(it.html ?? "");
      const node = t.content.firstElementChild;
      if (!node) {
        console.error(`LiveView: stream item ${id} has no element`);
        continue;
      }
      if (node.id !== id) node.id = id;
      const src = Array.from(node.querySelectorAll(SCRIPT_SELECTOR), (x) => x.textContent);
      if (el) {
        cleanup(el);
        el = Idiomorph.morph(el, node, MORPH)[0];
        morphed.push(el);
      } else {
        el = node;
        const ref = kids.get(it.before || it.after);
        const start2 = it.at === "start";
        if (ref) {
          flush2();
          it.before ? ref.before(el) : ref.after(el);
          front = false;
        } else {
          if (start2 !== front) flush2();
          front = start2;
          frag || (frag = document.createDocumentFragment());
          start2 ? frag.prepend(el) : frag.append(el);
        }
      }
      kids.set(id, el);
      if (src.length) scripts.push([el, src]);
    }
    flush2();
    for (const [el, src] of scripts) for (const x of src) runScript(el, x);
    const limit = Number(s.limit);
    if (limit > 0) {
      for (let n = box.childElementCount - limit; n > 0; n--) drop2(front ? box.lastElementChild : box.firstElementChild);
    }
    updateHooks(box, morphed);
  }

  // src/render.js
  var SCROLL_DELAY_MS2 = 50;
  function handleFrame(raw) {
    let data;
    try {
      data = JSON.parse(raw);
    } catch (err) {
      console.error("LiveView: invalid JSON frame", err);
      return [];
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) return [];
    if (data.target) renderTarget(data);
    if (data.stream) applyStream(data.stream);
    if (data.js) runJS(data.js);
    flash(data.flash);
    if (data.scroll) scrollToAnchor(data.scroll);
    if (data.scrollTop) scrollToTop();
    if (typeof data.event === "string" && data.event) {
      document.dispatchEvent(
        new CustomEvent(data.event, { detail: data.eventData, bubbles: true, cancelable: true })
      );
    }
    if (data.error && !data.target) {
      console.warn("LiveView:", data.error);
      document.dispatchEvent(new CustomEvent("liveview:error", { detail: data }));
    }
    if (data.upload) lv.frame?.(data.upload);
    const ref = Number.isInteger(data.ref) && data.ref > 0 ? data.ref : 0;
    if (ref && data.once != "retry") finishLoading(ref, data);
    if (typeof data.redirect === "string") redirect(data.redirect);
    return [ref, data.once];
  }
  function renderTarget(data) {
    const el = query(data.target);
    if (!el) {
      console.error(`LiveView: target ${data.target} not found`);
      return;
    }
    const parent = el.parentElement;
    if (data.remove) trackRemoval(el);
    else trackRegion(data.target);
    if (data.url) pushUrl(data.url);
    if (data.remove) {
      cleanup(el);
      el.remove();
    } else if (data.html != null) {
      insert(el, String(data.html), Boolean(data.append), Boolean(data.morph));
      if (data.html && data.url && !data.scroll) {
        setTimeout(() => scrollTo({ top: 0 }), SCROLL_DELAY_MS2);
      }
    }
    if (data.title) document.title = data.title;
    if (!data.remove) updateHooks(el);
    else if (parent) updateHooks(parent, []);
  }
  function insert(el, html, append, morph) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const sources = Array.from(template.content.querySelectorAll(SCRIPT_SELECTOR), (s) => s.textContent);
    if (append) {
      el.append(template.content);
    } else {
      cleanup(el);
      if (morph) {
        Idiomorph.morph(el, template.content, {
          morphStyle: "innerHTML",
          ignoreActiveValue: true,
          restoreFocus: true
        });
      } else {
        el.replaceChildren(template.content);
      }
    }
    for (const src of sources) runScript(el, src);
  }
  function scrollToAnchor(selector) {
    setTimeout(() => {
      const el = query(selector);
      if (el) el.scrollIntoView({ behavior: "smooth" });
      else console.warn(`LiveView: scroll target ${selector} not found`);
    }, SCROLL_DELAY_MS2);
  }
  function scrollToTop() {
    setTimeout(() => document.body.scrollIntoView({ behavior: "smooth" }), SCROLL_DELAY_MS2);
  }

  // src/banner.js
  var showBanner = (text) => banner(true, text);
  var hideBanner = () => banner(false);
  function banner(show, text) {
    const el = document.getElementById("no-connection");
    if (!el) return;
    if (text) el.textContent = text;
    el.classList.toggle("no-connection--show", show);
    el.classList.toggle("no-connection--hide", !show);
  }

  // src/socket.js
  var NORMAL_CLOSURE = 1e3;
  var SERVICE_RESTART = 1012;
  var RESTART_REASON = /^liveview:restart:(\d+)$/;
  var EXPIRED = 4401;
  var DISCONNECTED = 4403;
  var BACKOFF = 1.5;
  var socket = null;
  var room = null;
  var attempts = 0;
  var timer = null;
  var restarting = false;
  var offline = false;
  var PENDING = "liveview-pending";
  var rnd = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24)))).replace(/\+/g, "-").replace(/\//g, "_");
  var tab = rnd.slice(22);
  var pending2 = JSON.parse(sessionStorage.getItem(PENDING)) || [];
  var lastRef = 0;
  for (const m of pending2) m.ref = ++lastRef;
  var opens = 0;
  var reconnected = () => {
  };
  var stopped = false;
  var queue = [];
  function connect() {
    if (stopped) return;
    clearTimeout(timer);
    timer = null;
    restarting = false;
    if (isOpen() || isConnecting()) return;
    const cfg = config();
    room = resolveRoom(cfg);
    const url = socketURL(cfg, room);
    let ws;
    let up = false;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      console.error("LiveView: cannot open the WebSocket", err);
      connectionLost();
      return;
    }
    socket = ws;
    window.myWebSocket = ws;
    ws.addEventListener("open", () => {
      up = true;
      if (ws === socket) opened();
    });
    ws.addEventListener("message", (event) => {
      const [ref, once] = handleFrame(event.data);
      const m = pending2.find((p) => p.ref === ref);
      if (once === "retry") setTimeout(() => m && ws === socket && transmit(m), number("reconnectBaseMs"));
      else if (m) save2(pending2.filter((p) => p !== m));
    });
    ws.addEventListener("close", (event) => {
      if (ws !== socket) return;
      if (event.code === SERVICE_RESTART) restart(event.reason);
      else if (event.code === EXPIRED) expire();
      else if (event.code === DISCONNECTED) stop(event.reason.slice(22) || config().disconnectedMessage);
      else if (event.code !== NORMAL_CLOSURE) connectionLost(!up && url);
    });
    ws.addEventListener("error", () => {
      if (ws === socket) connectionLost(!up && url);
    });
  }
  function send(message, trigger, reply) {
    message = stamp(message, trigger, reply);
    if (!offline && isOpen() && queue.length === 0 && transmit(message)) return;
    enqueue(message);
    if (offline) return;
    if (isOpen()) flush();
    else if ((timer === null || restarting) && !isConnecting()) connect();
  }
  function stamp(message, trigger, reply) {
    const loading2 = trigger && config().loadingStates !== false;
    if (loading2 || reply) {
      message = { ...message, ref: ++lastRef, id: tab + "." + lastRef };
      if (loading2) startLoading(message.ref, trigger);
      if (reply) awaitReply(message.ref, reply);
    }
    return message;
  }
  var lv = window.__liveview = { send, ws: () => socket, done: finishAll };
  function watchNetwork() {
    offline = navigator.onLine === false;
    addEventListener("offline", () => {
      offline = true;
      showBanner();
    });
    addEventListener("online", () => {
      offline = false;
      if (isOpen()) {
        hideBanner();
        flush();
      } else {
        connect();
      }
    });
  }
  function isOpen() {
    return socket?.readyState === 1;
  }
  function isConnecting() {
    return socket?.readyState === 0;
  }
  function socketURL(cfg, room2) {
    let path = String(cfg.path);
    const seg = encodeURIComponent(room2);
    if (!path.startsWith("/")) path = "/" + path;
    if (path.includes(":room")) {
      path = path.replace(":room", () => seg);
    } else {
      if (!path.endsWith("/")) path += "/";
      path += seg + "/";
    }
    return `${cfg.protocol}://${cfg.host}${path}?page=${rnd.slice(0, 22)}`;
  }
  function onReconnect(fn) {
    reconnected = fn;
  }
  function opened() {
    attempts = 0;
    hideBanner();
    const waiting = queue.splice(0);
    queue.push(...pending2);
    if (opens++ > 0) reconnected();
    queue.push(...waiting);
    flush();
    lv.open?.();
  }
  function save2(list) {
    pending2 = list;
    try {
      sessionStorage.setItem(PENDING, JSON.stringify(list));
    } catch {
    }
  }
  function connectionLost(probeURL) {
    showBanner();
    scheduleReconnect(probeURL);
  }
  function restart(reason) {
    const m = RESTART_REASON.exec(reason);
    clearTimeout(timer);
    restarting = true;
    timer = setTimeout(connect, Math.random() * (m ? +m[1] : number("restartWindowMs")));
  }
  function stop(text) {
    showBanner(text);
    stopped = true;
    finishAll(pending2.map((m) => m.ref));
    save2([]);
  }
  function expire() {
    stop(config().expiredMessage);
    setTimeout(() => location.reload(), number("expiredReloadMs") * (1 + Math.random() * 4));
  }
  function scheduleReconnect(probeURL) {
    if (timer !== null) return;
    attempts += 1;
    const base2 = number("reconnectBaseMs");
    const max = number("reconnectMaxMs");
    const delay = Math.min(base2 * BACKOFF ** (attempts - 1), max);
    const backoff = delay / 2 + Math.random() * delay / 2;
    if (!probeURL) {
      timer = setTimeout(connect, backoff);
      return;
    }
    const probe = timer = {};
    fetch(probeURL.replace(/^ws/, "http"), { cache: "no-store" }).then(
      (res) => {
        const s = +res.headers.get("Retry-After");
        return res.status === 503 && s > 0 ? Math.min(s * 1e3 * (1 + Math.random()), max) : backoff;
      },
      () => backoff
    ).then((ms) => {
      if (timer === probe) timer = setTimeout(connect, ms);
    });
  }
  function transmit(message) {
    const frame = JSON.stringify({
      ...message,
      lang: document.documentElement.getAttribute("lang"),
      room
    });
    try {
      socket.send(frame);
      if (message.id && !pending2.includes(message)) save2(bound([...pending2, message]));
      return true;
    } catch (err) {
      console.error("LiveView: send failed", err);
      return false;
    }
  }
  function enqueue(message) {
    queue.push(message);
    bound(queue);
  }
  function bound(list) {
    const limit = Math.max(1, Math.floor(number("queueLimit")));
    while (list.length > limit) {
      const dropped = list.shift();
      console.warn("LiveView: queue full, dropped", dropped.function);
      if (dropped.ref) finishAll([dropped.ref]);
      document.dispatchEvent(
        new CustomEvent("liveview:queue-overflow", { detail: { dropped, limit } })
      );
    }
    return list;
  }
  function flush() {
    while (queue.length > 0 && isOpen() && !offline) {
      if (!transmit(queue[0])) return;
      queue.shift();
    }
  }

  // src/focus.js
  var NATIVE = "input, select, textarea, button, a";
  function canReceiveFocus(el) {
    const native = el.matches(NATIVE) && !el.disabled;
    const tabbable = el.hasAttribute("tabindex") && el.tabIndex >= 0;
    if (!native && !tabbable) return false;
    if (el.hidden || el.type === "hidden") return false;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) return false;
    return getComputedStyle(el).visibility !== "hidden";
  }
  function focusFirst(roots) {
    setTimeout(() => {
      for (const root of roots) {
        const el = withSelf(root, '[data-liveview-focus="true"]').find((candidate) => candidate.isConnected && canReceiveFocus(candidate));
        if (el) {
          el.focus();
          return;
        }
      }
    }, 0);
  }

  // src/intersect.js
  var OBSERVED = "intersectionObserved";
  var THRESHOLD = "intersectionThresholdUsed";
  var INTERSECT_SELECTOR = "[data-liveview-intersect-appear], [data-liveview-intersect-disappear]";
  var Intersections = class {
    constructor(send2) {
      this.send = send2;
      this.observers = /* @__PURE__ */ new Map();
    }
    // observe starts watching el, once (marked with data-intersection-*).
    observe(el) {
      if (el.dataset[OBSERVED] === "true" || typeof IntersectionObserver === "undefined") return;
      const px = parseInt(el.dataset.liveviewIntersectThreshold, 10);
      const key = px > 0 ? String(px) : "0";
      el.dataset[OBSERVED] = "true";
      el.dataset[THRESHOLD] = key;
      this.observerFor(key).observe(el);
    }
    // unobserve stops watching a removed element and forgets its markers.
    unobserve(el) {
      const obs = this.observers.get(el.dataset[THRESHOLD]);
      if (obs) obs.unobserve(el);
      delete el.dataset[OBSERVED];
      delete el.dataset[THRESHOLD];
    }
    // observerFor returns the shared observer of one threshold.
    observerFor(key) {
      let obs = this.observers.get(key);
      if (!obs) {
        const rootMargin = key === "0" ? "0px" : `${key}px`;
        obs = new IntersectionObserver((entries) => this.changed(entries), { rootMargin, threshold: 0 });
        this.observers.set(key, obs);
      }
      return obs;
    }
    // changed sends appear for entering elements and disappear for the others
    // (also on the first callback, for elements that start off-screen).
    changed(entries) {
      for (const entry2 of entries) {
        const el = entry2.target;
        const name = entry2.isIntersecting ? el.dataset.liveviewIntersectAppear : el.dataset.liveviewIntersectDisappear;
        if (name) this.send(el, name, entry2.isIntersecting ? "appear" : "disappear");
      }
    }
    // disconnect ends every observer.
    disconnect() {
      for (const obs of this.observers.values()) obs.disconnect();
      this.observers.clear();
    }
  };

  // ../internal/clientrules/keys.json
  var modifiers = [
    { name: "ctrl", key: "Control" },
    { name: "alt", key: "Alt" },
    { name: "meta", key: "Meta" },
    { name: "shift", key: "Shift" }
  ];
  var names = {
    Escape: "esc",
    " ": "space",
    ArrowUp: "up",
    ArrowDown: "down",
    ArrowLeft: "left",
    ArrowRight: "right",
    Enter: "enter",
    Tab: "tab",
    Home: "home",
    End: "end",
    PageUp: "page_up",
    PageDown: "page_down"
  };
  var shiftDropped = "^[a-zA-Z0-9]$";
  var keys = [
    "Alt",
    "AltGraph",
    "CapsLock",
    "Control",
    "Fn",
    "Meta",
    "NumLock",
    "ScrollLock",
    "Shift",
    "Enter",
    "Tab",
    "ArrowDown",
    "ArrowLeft",
    "ArrowRight",
    "ArrowUp",
    "End",
    "Home",
    "PageDown",
    "PageUp",
    "Backspace",
    "Clear",
    "Copy",
    "Cut",
    "Delete",
    "Insert",
    "Paste",
    "Redo",
    "Undo",
    "ContextMenu",
    "Escape",
    "Find",
    "Help",
    "Pause",
    "Play",
    "Select",
    "ZoomIn",
    "ZoomOut",
    "BrightnessDown",
    "BrightnessUp",
    "Eject",
    "Power",
    "PrintScreen",
    "F1",
    "F2",
    "F3",
    "F4",
    "F5",
    "F6",
    "F7",
    "F8",
    "F9",
    "F10",
    "F11",
    "F12",
    "F13",
    "F14",
    "F15",
    "F16",
    "F17",
    "F18",
    "F19",
    "F20",
    "F21",
    "F22",
    "F23",
    "F24",
    "MediaPlayPause",
    "MediaPlay",
    "MediaPause",
    "MediaStop",
    "MediaTrackNext",
    "MediaTrackPrevious",
    "MediaFastForward",
    "MediaRewind",
    "AudioVolumeUp",
    "AudioVolumeDown",
    "AudioVolumeMute",
    "BrowserBack",
    "BrowserForward",
    "BrowserHome",
    "BrowserRefresh",
    "BrowserSearch",
    "BrowserStop",
    "BrowserFavorites",
    "Dead",
    "Process",
    "Unidentified"
  ];

  // src/keyboard.js
  var RENAMES = new Map(Object.entries(names).map(([k, v]) => [k.toLowerCase(), v]));
  var SHIFT_DROPPED = new RegExp(shiftDropped);
  var PRINTABLE_ASCII = /^[ -~]+$/;
  var FOCUSABLE = "a[href], button, input, select, textarea, [contenteditable]";
  var known = null;
  function keyName(key) {
    const k = String(key).toLowerCase();
    return RENAMES.get(k) || k;
  }
  function modifierOf(s) {
    s = s.toLowerCase();
    return modifiers.find((m) => m.name === s || m.key.toLowerCase() === s);
  }
  function keyStrings(event) {
    const key = keyName(event.key);
    const full = [];
    const upstream = [];
    for (const m of modifiers) {
      if (!event[m.name + "Key"]) continue;
      full.push(m.name);
      if (m.name !== "shift" || !SHIFT_DROPPED.test(event.key)) upstream.push(m.name);
    }
    const f = full.concat(key).join("+");
    const u = upstream.concat(key).join("+");
    return f === u ? [f] : [f, u];
  }
  function normalizeKey(entry2) {
    const parts = entry2.split("+");
    let key = parts.pop();
    if (key === "" && parts[parts.length - 1] === "") {
      parts.pop();
      key = "+";
    }
    const mods = /* @__PURE__ */ new Set();
    for (const p of parts) {
      const m = modifierOf(p);
      if (!m) return [entry2, `can never match: "${p}" is not a modifier (ctrl, alt, meta, shift)`];
      mods.add(m);
    }
    let name = keyName(key);
    const alone = modifierOf(name);
    if (alone) {
      mods.add(alone);
      name = alone.key.toLowerCase();
    }
    if (!name) return [entry2, "can never match: it names no key"];
    if (!known) known = new Set(keys.map(keyName).concat(Object.values(names)));
    const normal = modifiers.filter((m) => mods.has(m)).map((m) => m.name).concat(name).join("+");
    if ([...name].length > 1 && PRINTABLE_ASCII.test(name) && !known.has(name)) {
      return [normal, `may never match: "${key}" is not a key name LiveView knows (it matches only a KeyboardEvent.key "${key}", in any case)`];
    }
    return [normal, ""];
  }
  function parseKeyMap(el) {
    let map;
    try {
      map = JSON.parse(el.dataset.liveviewKeyboardMap);
    } catch (err) {
      console.error("LiveView: invalid data-liveview-keyboard-map", el, err);
      return null;
    }
    if (!map || typeof map !== "object" || Array.isArray(map)) {
      console.error("LiveView: data-liveview-keyboard-map must be a JSON object", el);
      return null;
    }
    const table = /* @__PURE__ */ new Map();
    const never = (entry2, why) => warnOnce(`data-liveview-keyboard-map key "${entry2}" ${why}`, el);
    for (const [entry2, fn] of Object.entries(map)) {
      if (typeof fn !== "string") {
        never(entry2, "can never match: its function is not a string");
        continue;
      }
      const [key, problem] = normalizeKey(entry2);
      if (problem) never(entry2, problem);
      const held = table.get(key);
      if (!held) {
        table.set(key, [entry2, fn]);
      } else if (key === entry2) {
        table.set(key, [entry2, fn]);
        never(held[0], `can never match: "${entry2}" is the same key`);
      } else {
        never(entry2, `can never match: "${held[0]}" is the same key`);
      }
    }
    return table;
  }
  function bindKeyboardMap(el, send2) {
    if (el.dataset.keyboardMapInitialized === "true") return null;
    const table = parseKeyMap(el);
    if (!table) return null;
    if (!el.hasAttribute("tabindex") && !el.matches(FOCUSABLE)) el.setAttribute("tabindex", "-1");
    el.dataset.keyboardMapInitialized = "true";
    const listener = (event) => {
      for (const s of keyStrings(event)) {
        const hit = table.get(s);
        if (hit) {
          event.preventDefault();
          send2(el, hit[1], "keyboard");
          return;
        }
      }
    };
    el.addEventListener("keydown", listener);
    return listener;
  }

  // src/controllers/page_controller.js
  var KEYBOARD_SELECTOR = "[data-liveview-keyboard-map]";
  var POLL_SELECTOR = "[data-liveview-poll]";
  var globalCalls = /* @__PURE__ */ new WeakMap();
  var PageController = class extends Controller {
    initialize() {
      this.debounceTimers = /* @__PURE__ */ new Map();
      this.throttled = /* @__PURE__ */ new Set();
    }
    connect() {
      this.intersections = new Intersections(execute);
      this.keyListeners = /* @__PURE__ */ new Map();
      this.polls = /* @__PURE__ */ new Map();
      this.scan(this.element);
      this.initTimer = setTimeout(() => this.runInits(), 0);
      focusFirst([this.element]);
      this.mutations = new MutationObserver((records) => this.mutated(records));
      this.mutations.observe(this.element, { childList: true, subtree: true });
    }
    disconnect() {
      for (const id of this.debounceTimers.values()) clearTimeout(id);
      this.debounceTimers.clear();
      this.throttled.clear();
      for (const el of this.polls.keys()) this.unpoll(el);
      clearTimeout(this.initTimer);
      this.mutations.disconnect();
      this.intersections.disconnect();
      for (const el of this.keyListeners.keys()) this.unbind(el);
    }
    // run runs the element's data-liveview-js commands at once, then sends
    // its data-liveview-function (none with commands: nothing is sent), after
    // its optional data-liveview-debounce (ms, trailing) or, without one, its
    // data-liveview-throttle (ms); values are read at fire time.
    run(event) {
      event.preventDefault();
      const el = event.currentTarget instanceof Element ? event.currentTarget : this.globalTrigger(event);
      if (!(el instanceof Element)) {
        console.error("LiveView: page#run must be bound to an element");
        return;
      }
      const d = el.dataset;
      if (d.liveviewJs != null) {
        runJS(d.liveviewJs, el);
        if (d.liveviewFunction == null) return;
      }
      const ms = parseInt(d.liveviewDebounce, 10);
      const t = parseInt(d.liveviewThrottle, 10);
      if (ms) {
        clearTimeout(this.debounceTimers.get(el));
        const id = setTimeout(() => {
          this.debounceTimers.delete(el);
          execute(el);
        }, ms);
        this.debounceTimers.set(el, id);
      } else if (t > 0) {
        this.throttle(el, t);
      } else {
        execute(el);
      }
    }
    // throttle sends at once and opens a window of ms; the events within it
    // become one send at its end (which opens the next window), so the last
    // state is never lost and a window sends at most once.
    throttle(el, ms) {
      if (this.debounceTimers.has(el)) {
        this.throttled.add(el);
        return;
      }
      execute(el);
      const id = setTimeout(() => {
        this.debounceTimers.delete(el);
        if (this.throttled.delete(el)) this.throttle(el, ms);
      }, ms);
      this.debounceTimers.set(el, id);
    }
    // globalTrigger finds the element of an @window / @document action, whose
    // event's currentTarget is not an element (upstream then fails): the
    // elements whose data-action has such a binding for this event type and
    // page#run, and whose key filter, if any, Stimulus let this event through
    // (keyup.x@window and keyup.y@window are different bindings), in document
    // order; each binding invoked for the same event takes the next one.
    globalTrigger(event) {
      const keys2 = this.application.schema.keyMappings;
      const matches = this.owned(this.element, "[data-action]").filter(
        (el) => el.dataset.action.split(/\s+/).some((d) => {
          const m = /^([\w:.+-]+)@(window|document)->page#run\b/.exec(d);
          if (!m) return false;
          const [type, ...filter] = m[1].split(".");
          return type === event.type && passesKeyFilter(filter.join("."), event, keys2);
        })
      );
      const seen = globalCalls.get(event) || 0;
      globalCalls.set(event, seen + 1);
      return matches[seen] || null;
    }
    // stop ends the event's propagation (documented upstream, never shipped).
    stop(event) {
      event.stopPropagation();
    }
    // runInits sends every data-liveview-init of the subtree once.
    runInits() {
      for (const el of this.owned(this.element, "[data-liveview-init]")) {
        execute(el, el.dataset.liveviewInit, "init");
      }
    }
    // scan sets up intersection observers, key maps and polls under root.
    scan(root) {
      for (const el of this.owned(root, INTERSECT_SELECTOR)) this.intersections.observe(el);
      for (const el of this.owned(root, KEYBOARD_SELECTOR)) {
        const listener = bindKeyboardMap(el, execute);
        if (listener) this.keyListeners.set(el, listener);
      }
      for (const el of this.owned(root, POLL_SELECTOR)) this.poll(el);
    }
    // poll sends el's function every data-liveview-poll ms (at least 100)
    // while the tab is visible and the socket open (a tick meanwhile is
    // skipped, not queued), until el leaves the page or loses the attribute.
    poll(el) {
      const ms = parseInt(el.dataset.liveviewPoll, 10);
      if (this.polls.has(el) || !(ms > 0)) return;
      const tick = () => {
        if (el.dataset.liveviewPoll == null) this.unpoll(el);
        else if (!document.hidden && isOpen()) execute(el);
      };
      this.polls.set(el, setInterval(tick, Math.max(ms, 100)));
    }
    // unpoll stops el's poll.
    unpoll(el) {
      clearInterval(this.polls.get(el));
      this.polls.delete(el);
    }
    // mutated handles inserted and removed elements.
    mutated(records) {
      const added = [];
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType === 1) added.push(node);
        }
        for (const node of record.removedNodes) {
          if (node.nodeType === 1 && !node.isConnected) this.forget(node);
        }
      }
      if (added.length === 0) return;
      for (const el of added) if (el.isConnected) this.scan(el);
      focusFirst(added);
    }
    // forget unobserves a removed subtree and drops its key listeners and
    // polls.
    forget(root) {
      for (const el of this.polls.keys()) if (root.contains(el)) this.unpoll(el);
      for (const el of withSelf(root, "[data-intersection-observed]")) this.intersections.unobserve(el);
      for (const el of withSelf(root, KEYBOARD_SELECTOR)) this.unbind(el);
    }
    // unbind removes el's key map listener, if it has one.
    unbind(el) {
      const listener = this.keyListeners.get(el);
      if (!listener) return;
      el.removeEventListener("keydown", listener);
      this.keyListeners.delete(el);
      delete el.dataset.keyboardMapInitialized;
    }
    // owned returns the matches under root (root included) that belong to
    // this controller, not to a nested page controller, so a nested one does
    // not send an init twice.
    owned(root, selector) {
      return withSelf(root, selector).filter((el) => el.closest('[data-controller~="page"]') === this.element);
    }
  };
  function execute(el, name = el.dataset.liveviewFunction, trigger = "") {
    if (name === void 0 || String(name).trim() === "") {
      console.error("LiveView: data-liveview-function is not defined", el);
      return;
    }
    const marker = trigger === "init" ? "initTrigger" : "intersectionTrigger";
    if (trigger) el.dataset[marker] = trigger;
    const files = [];
    const message = { function: String(name), data: collectData(el), form: collectForm(el, files) };
    if (trigger) delete el.dataset[marker];
    if (files[0]) upload(message, el, files);
    else send(message, el);
  }
  var MODIFIERS = ["meta", "ctrl", "alt", "shift"];
  function passesKeyFilter(filter, event, keys2) {
    if (!filter || !("key" in event)) return true;
    const parts = filter.split("+");
    if (MODIFIERS.some((m) => parts.includes(m) !== event[m + "Key"])) return false;
    const key = parts.find((p) => !MODIFIERS.includes(p));
    return !key || key in keys2 && keys2[key].toLowerCase() === event.key.toLowerCase();
  }

  // src/outside.js
  var PAGE = '[data-controller~="page"]';
  var LIVE = "[data-liveview-function], [data-liveview-init], [data-liveview-keyboard-map], [data-liveview-intersect-appear], [data-liveview-intersect-disappear], [data-liveview-focus]";
  function watchOutside() {
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType === 1 && warnOutside(node)) {
            observer.disconnect();
            return;
          }
        }
      }
    });
    const start2 = () => {
      if (!warnOutside(document.documentElement)) {
        observer.observe(document.documentElement, { childList: true, subtree: true });
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start2);
    else start2();
  }
  function warnOutside(root) {
    if (!root.isConnected || root.closest(PAGE)) return false;
    const el = withSelf(root, LIVE).find((x) => !x.closest(PAGE));
    if (!el) return false;
    warnOnce('data-liveview-* attributes outside any data-controller="page" element do nothing: put data-controller="page" on <body> (or around them). The first one:', el);
    return true;
  }

  // src/recover.js
  function recoverForms() {
    for (const el of document.querySelectorAll("[data-liveview-recover]")) {
      execute(el, el.dataset.liveviewRecover);
    }
  }

  // src/start.js
  var application = null;
  function start(options) {
    if (application) return application;
    if (options) window.webSocketConfig = Object.assign(window.webSocketConfig || {}, options);
    application = window.Stimulus = Application.start();
    application.register("page", PageController);
    config();
    initHistory();
    watchNetwork();
    onReconnect(() => {
      recoverForms();
      reconnectHooks();
    });
    connect();
    watchOutside();
    watchHooks();
    return application;
  }

  // src/main.js
  start();
})();
