// Live preview of a watch-topic query (progressive enhancement: the form works without it).
// A static file because the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var input = document.getElementById("topic-query");
  var box = document.getElementById("preview");
  if (!input || !box) { return; }
  var timer = null;
  var DEBOUNCE_MS = 300; // one request per pause in typing, not per key

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; } // textContent: never parsed as HTML
    if (cls) { node.className = cls; }
    return node;
  }

  function show(data) {
    box.replaceChildren();
    if (data.error) { box.appendChild(el("p", data.error, "error")); return; }
    box.appendChild(el("p", data.total + " tin khớp hiện nay", "count"));
    (data.hints || []).forEach(function (h) { box.appendChild(el("p", h, "hint")); });
    var list = el("ul", undefined, "plain");
    (data.hits || []).forEach(function (hit) {
      var li = el("li");
      var a = el("a", hit.title || "(không có tiêu đề)");
      a.href = "/doc/" + encodeURIComponent(hit.id);
      li.appendChild(a);
      li.appendChild(el("span", " " + hit.source, "meta"));
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function preview() {
    var q = input.value.trim();
    if (!q) { box.replaceChildren(); return; }
    fetch("/api/v1/topics/preview?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () { box.replaceChildren(el("p", "Không xem trước được.", "hint")); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(preview, DEBOUNCE_MS);
  });
  if (input.value.trim()) { preview(); }
})();
