// While a member types the subject of a support request, show answered questions and
// suggestions that may already solve it. The server logs what was shown in the form session.
// Progressive enhancement: without JavaScript the "Find answers first" button does it.
(function () {
  "use strict";
  var box = document.getElementById("support-matches");
  var subject = document.getElementById("subject");
  if (!box || !subject || !window.fetch) { return; }
  var source = box.getAttribute("data-source");
  var session = box.getAttribute("data-session") || "";
  var timer = null;
  var last = "";

  function item(list, url, title, note) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = url;
    link.textContent = title;
    li.appendChild(link);
    var meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = " " + note;
    li.appendChild(meta);
    list.appendChild(li);
  }

  var solved = document.getElementById("support-solved");

  function render(data) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    var any = data.questions.length > 0 || data.suggestions.length > 0;
    if (solved) { solved.hidden = !any; }
    if (!any) { return; }
    var intro = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "These may already answer it";
    intro.appendChild(strong);
    intro.appendChild(document.createTextNode(": have a look before you file."));
    box.appendChild(intro);
    var list = document.createElement("ul");
    data.questions.forEach(function (q) {
      item(list, q.url, q.title, q.accepted ? "question, answer accepted" : "question");
    });
    data.suggestions.forEach(function (s) {
      item(list, s.url, s.title, "suggestion, " + s.status_label);
    });
    box.appendChild(list);
  }

  function lookup() {
    var text = subject.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 3) { render({ questions: [], suggestions: [] }); return; }
    var url = source + "?subject=" + encodeURIComponent(text) + "&session=" + encodeURIComponent(session);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { questions: [], suggestions: [] }; })
      .then(function (data) { if (subject.value.trim() === text) { render(data); } })
      .catch(function () { /* matches are a convenience; the form works without them */ });
  }

  subject.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
})();
