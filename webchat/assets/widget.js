/* The web chat's loader: <script src="https://HOST/webchat/widget.js" data-site="KEY" async></script>
 * draws a chat button on the page and opens the chat window (served by HOST) in a frame. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-site")) return;
  var key = script.getAttribute("data-site");
  var base = new URL(script.src).origin + "/webchat/s/" + encodeURIComponent(key) + "/";
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "";
  var remembered = "webchat-open:" + key;

  fetch(base + "config?lang=" + encodeURIComponent(lang), { credentials: "omit" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (config) { if (config) build(config); })
    .catch(function () { /* the chat is not offered on this page */ });

  function build(config) {
    var host = document.createElement("div");
    host.setAttribute("data-webchat", key);
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var style = document.createElement("style");
    style.textContent =
      ".b{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;" +
      "background:" + config.colour + ";color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646}" +
      ".f{position:fixed;right:20px;bottom:88px;width:370px;height:560px;max-width:calc(100vw - 40px);" +
      "max-height:calc(100vh - 110px);border:0;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff;z-index:2147483647}" +
      ".f[hidden]{display:none}";
    var button = document.createElement("button");
    button.className = "b";
    button.type = "button";
    button.textContent = "💬";
    button.setAttribute("aria-label", config.open_label);
    button.title = config.title;
    var frame = null;

    function open(shown) {
      if (shown && !frame) {
        frame = document.createElement("iframe");
        frame.className = "f";
        frame.title = config.title;
        frame.src = base + "?lang=" + encodeURIComponent(config.language);
        root.appendChild(frame);
      }
      if (frame) frame.hidden = !shown;
      button.textContent = shown ? "✕" : "💬";
      button.setAttribute("aria-label", shown ? config.close_label : config.open_label);
      try { sessionStorage.setItem(remembered, shown ? "1" : ""); } catch (e) { /* private mode */ }
    }

    button.addEventListener("click", function () { open(!frame || frame.hidden); });
    root.appendChild(style);
    root.appendChild(button);
    document.body.appendChild(host);
    try { if (sessionStorage.getItem(remembered)) open(true); } catch (e) { /* private mode */ }
  }
})();
