/* The chat window: its messages, the composer, buttons and the contact form.
 * Everything shown is set as text (never as HTML); links open only http(s) addresses. */
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("webchat-settings").textContent);
  var texts = settings.texts;
  var log = document.getElementById("log");
  var compose = document.getElementById("compose");
  var input = compose.elements.text;
  var contactForm = document.getElementById("contact");
  var storageKey = "webchat-visitor:" + settings.key;
  var visitor = null;
  var lastId = 0;
  var busy = false;
  var pending = []; /* what this page drew while a request streamed, replaced by the stored */

  function url(path) { return settings.base + path; }

  function headers() {
    return {
      "Content-Type": "application/json",
      "Accept-Language": settings.language,
      "X-Visitor": visitor || ""
    };
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function bubble(role, text, author) {
    var node = element("div", "m " + role);
    if (author) node.appendChild(element("span", "who", author));
    node.appendChild(document.createTextNode(text));
    log.appendChild(node);
    scrollDown();
    return node;
  }

  function dropButtons() {
    Array.prototype.forEach.call(log.querySelectorAll(".buttons"), function (row) { row.remove(); });
  }

  function drawButtons(rows, after) {
    dropButtons();
    var flat = [].concat.apply([], rows || []);
    if (!flat.length) return null;
    var row = element("div", "buttons");
    flat.forEach(function (button) {
      if (button.url) {
        if (!/^https?:\/\//i.test(button.url)) return;
        var link = element("a", "", button.label);
        link.href = button.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        row.appendChild(link);
      } else {
        var press = element("button", "", button.label);
        press.type = "button";
        press.addEventListener("click", function () { send("press", { action: button.action, label: button.label }, button.label); });
        row.appendChild(press);
      }
    });
    (after && after.parentNode ? after.parentNode : log).insertBefore(row, after ? after.nextSibling : null);
    scrollDown();
    return row;
  }

  function showStored(message) {
    lastId = Math.max(lastId, message.id);
    var author = message.role === "operator" ? (message.author || texts.operator_label) : "";
    var node = bubble(message.role, message.text, author);
    if (message.buttons && message.buttons.length) drawButtons(message.buttons, node);
  }

  /* What Telegram's /start menu offers, always at hand above the composer. */
  function drawMenu() {
    var menu = document.getElementById("menu");
    [["services", "catalog:"], ["contact", "contact:"], ["operator", "operator:"]].forEach(function (item) {
      var press = element("button", "", texts[item[0]]);
      press.type = "button";
      press.addEventListener("click", function () { send("press", { action: item[1], label: texts[item[0]] }, texts[item[0]]); });
      menu.appendChild(press);
    });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function ensureVisitor() {
    try { visitor = localStorage.getItem(storageKey); } catch (e) { visitor = null; }
    if (visitor) return Promise.resolve();
    return fetch(url("visitor"), { method: "POST", headers: headers() })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        visitor = body.visitor;
        try { localStorage.setItem(storageKey, visitor); } catch (e) { /* kept for this page only */ }
      });
  }

  function fetchMessages() {
    return fetch(url("messages?after=" + lastId), { headers: headers() }).then(function (response) {
      if (response.status === 401) {
        try { localStorage.removeItem(storageKey); } catch (e) { /* nothing kept */ }
        visitor = null;
        return ensureVisitor().then(function () { return []; });
      }
      return response.ok ? response.json().then(function (body) { return body.messages; }) : [];
    });
  }

  function catchUp() {
    return fetchMessages().then(function (messages) {
      if (messages.length) {
        pending.forEach(function (node) { node.remove(); });
        pending = [];
        messages.forEach(showStored);
      }
      return messages;
    });
  }

  /* One request whose answer streams as JSON lines (see webchat/channel.py). */
  function send(kind, body, shownText) {
    if (busy || !visitor) return;
    busy = true;
    compose.elements[1].disabled = true;
    dropButtons();
    if (shownText) pending.push(bubble("user", shownText));
    body.id = uuid();
    body.language = settings.language;
    var current = null;
    var currentText = "";
    var thinking = null;

    function stopThinking() { if (thinking) { thinking.remove(); thinking = null; } }

    function take(event) {
      if (event.kind === "thinking") {
        if (!thinking) { thinking = bubble("assistant thinking", texts.thinking); pending.push(thinking); }
      } else if (event.kind === "more" || event.kind === "draft") {
        stopThinking();
        if (!current) { current = bubble("assistant", ""); pending.push(current); }
        currentText = event.kind === "more" ? currentText + event.text : event.text;
        current.textContent = currentText;
        scrollDown();
      } else if (event.kind === "answer") {
        stopThinking();
        if (!current) { current = bubble("assistant", ""); pending.push(current); }
        current.textContent = event.text;
        drawButtons(event.buttons, current);
        current = null;
        currentText = "";
      } else if (event.kind === "note") {
        stopThinking();
        var node = bubble("system", event.text);
        pending.push(node);
        drawButtons(event.buttons, node);
        if (event.contact_form) contactForm.hidden = false;
      } else if (event.kind === "buttons") {
        drawButtons(event.buttons);
      } else if (event.kind === "ack" || event.kind === "error") {
        pending.push(bubble(event.kind, event.text));
      }
    }

    return fetch(url(kind), { method: "POST", headers: headers(), body: JSON.stringify(body) })
      .then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (refusal) {
            pending.push(bubble("error", refusal.error || texts.failed));
          });
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function read() {
          return reader.read().then(function (chunk) {
            buffer += decoder.decode(chunk.value || new Uint8Array(), { stream: !chunk.done });
            var lines = buffer.split("\n");
            buffer = lines.pop();
            lines.forEach(function (line) { if (line.trim()) take(JSON.parse(line)); });
            if (!chunk.done) return read();
          });
        }
        return read();
      })
      .catch(function () { pending.push(bubble("error", texts.failed)); })
      .then(function () {
        stopThinking();
        busy = false;
        compose.elements[1].disabled = false;
        return catchUp();
      });
  }

  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send("send", { text: text }, text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      compose.requestSubmit();
    }
  });
  contactForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var fields = contactForm.elements;
    var shown = [fields.phone.value.trim(), fields.email.value.trim()].filter(Boolean).join(", ");
    if (!shown) { fields.phone.focus(); return; }
    contactForm.hidden = true;
    send("contact", { phone: fields.phone.value, email: fields.email.value, consent: fields.consent.checked }, shown);
    contactForm.reset();
  });
  document.getElementById("contact-cancel").addEventListener("click", function () { contactForm.hidden = true; });

  if (!settings.open) return;
  drawMenu();
  ensureVisitor()
    .then(fetchMessages)
    .then(function (messages) {
      bubble("assistant", settings.greeting);
      messages.forEach(showStored);
    });
  /* Operators' replies and what was kept while the window was away. */
  setInterval(function () {
    if (!busy && visitor && document.visibilityState === "visible") catchUp();
  }, 4000);
})();
