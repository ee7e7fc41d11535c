/* Runs first: every script error, unhandled rejection, blocked load (CSP) or console.error leaves a
   visible marker element of class js-error in the DOM, so a headless browser's --dump-dom reveals it. */
(function () {
  "use strict";
  function mark(msg) {
    try {
      var d = document.createElement("div");
      d.className = "js-error";
      d.setAttribute("role", "alert");
      d.textContent = "page error: " + msg;
      (document.body || document.documentElement).appendChild(d);
    } catch (e) { /* nothing else to do */ }
  }
  window.__certifyMark = mark;
  window.addEventListener("error", function (e) {
    if (e && e.target && e.target !== window && e.target.tagName) {
      mark("failed to load <" + e.target.tagName.toLowerCase() + "> " + (e.target.src || e.target.href || ""));
    } else {
      mark((e && e.message ? e.message : "error") + " at " + (e && e.filename ? e.filename : "") + ":" +
           (e && e.lineno ? e.lineno : ""));
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) { mark("unhandled rejection: " + (e && e.reason)); });
  document.addEventListener("securitypolicyviolation", function (e) {
    mark("blocked by the page's Content-Security-Policy: " + e.blockedURI + " (" + e.violatedDirective + ")");
  });
  var origError = console.error;
  console.error = function () {
    mark(Array.prototype.map.call(arguments, String).join(" "));
    return origError.apply(console, arguments);
  };
})();
