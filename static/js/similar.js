// While a member types a question title, list similar existing questions.
// Progressive enhancement: without JavaScript the "Check for similar questions" button does it.
(function () {
  "use strict";
  var box = document.getElementById("similar-questions");
  var title = document.getElementById("title");
  if (!box || !title || !window.fetch) { return; }
  var source = box.getAttribute("data-source");
  var timer = null;
  var last = "";

  function render(questions) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    if (!questions.length) { return; }
    var intro = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "Similar questions";
    intro.appendChild(strong);
    intro.appendChild(document.createTextNode(": one of these may already answer yours."));
    box.appendChild(intro);
    var list = document.createElement("ul");
    questions.forEach(function (q) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = q.url;
      link.textContent = q.title;
      item.appendChild(link);
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = " " + q.answers + (q.answers === 1 ? " answer" : " answers") +
        (q.answered ? ", accepted" : "");
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
      .then(function (response) { return response.ok ? response.json() : { questions: [] }; })
      .then(function (data) { if (title.value.trim() === text) { render(data.questions); } })
      .catch(function () { /* suggestions are a convenience; the form works without them */ });
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
})();
