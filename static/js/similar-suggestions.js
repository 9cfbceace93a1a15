// While a member types a suggestion title, list similar suggestions (declined ones labelled).
// Progressive enhancement: without JavaScript the "Check for similar suggestions" button does it.
(function () {
  "use strict";
  var box = document.getElementById("similar-suggestions");
  var title = document.getElementById("title");
  if (!box || !title || !window.fetch) { return; }
  var source = box.getAttribute("data-source");
  var timer = null;
  var last = "";

  function render(suggestions) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    if (!suggestions.length) { return; }
    var intro = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "Similar suggestions";
    intro.appendChild(strong);
    intro.appendChild(document.createTextNode(": vote for one of these instead if it is yours."));
    box.appendChild(intro);
    var list = document.createElement("ul");
    suggestions.forEach(function (s) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = s.url;
      link.textContent = s.title;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      var pill = document.createElement("span");
      pill.className = "status-pill status-" + s.status;
      pill.textContent = s.status_label;
      item.appendChild(pill);
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = " " + s.votes + (s.votes === 1 ? " vote" : " votes");
      item.appendChild(meta);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function lookup() {
    var text = title.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 3) { render([]); return; }
    fetch(source + "?title=" + encodeURIComponent(text), { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (data) { if (title.value.trim() === text) { render(data.suggestions); } })
      .catch(function () { /* similar suggestions are a convenience; the form works without them */ });
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
})();
