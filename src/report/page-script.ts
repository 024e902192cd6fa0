/**
 * The chain viewer's script, run in the page. It reads the report data from a JSON script element
 * and builds everything with DOM calls: text through `textContent`/text nodes, math through
 * `katex.render`, which builds DOM nodes itself (no HTML parsing) with `trust: false`, so no
 * string from a model or a dataset is ever parsed as HTML. Math is typeset only for the item
 * opened, and a chain only when its tab is shown: a report of thousands of items opens at once.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var items = data.items, runs = data.runs, several = runs.length > 1;
  var colourOf = {};
  runs.forEach(function (r) { colourOf[r.id] = r.colour; });
  // untrusted TeX: no \href/\url/\html*, bounded macro expansion and sizes, errors shown as text
  var KATEX = { throwOnError: false, trust: false, strict: "ignore", maxExpand: 200, maxSize: 10, output: "htmlAndMathml" };
  var rows = document.getElementById("rows"), detail = document.getElementById("detail");
  var filter = document.getElementById("filter"), runFilter = document.getElementById("run-filter");
  var find = document.getElementById("find"), count = document.getElementById("count");

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function chip(run) { var c = el("span", null, "chip"); c.style.background = colourOf[run] || "#999"; c.title = run; return c; }
  function fmt(x, digits) { return x === null || x === undefined ? "\u2014" : x.toFixed(digits); }
  function stepName(i) { return i < 0 ? "none" : "step " + (i + 1); }
  function mark(v) { return v === "correct" ? ["\u2713", "ok"] : v === "incorrect" ? ["\u2717", "bad"] : ["\u00b7", "un"]; }

  function math(node, tex, display) {
    try {
      katex.render(tex, node, Object.assign({ displayMode: display }, KATEX));
    } catch (e) {
      // not a parse error (KaTeX shows those itself): e.g. no KaTeX, or a stack overflow
      node.textContent = tex;
      node.classList.add("math-error");
      node.title = String((e && e.message) || e);
    }
  }
  /** Writes segments (text, inline math, display math, verdicts) into parent. */
  function typeset(parent, segments) {
    segments.forEach(function (s) {
      if (s[0] === "t") { parent.appendChild(document.createTextNode(s[1])); return; }
      if (s[0] === "v") {
        var v = el("span", null, "verdict v-" + s[2]);
        v.title = s[1] + " \u2014 the chain's verdict on step " + (s[3] + 1);
        var box = el("span");
        math(box, "\\boxed{\\text{" + s[2] + "}}", false);
        v.appendChild(box);
        v.appendChild(el("sup", "step " + (s[3] + 1)));
        parent.appendChild(v);
        return;
      }
      var m = el("span", null, s[0] === "d" ? "math math-display" : "math");
      math(m, s[1], s[0] === "d");
      parent.appendChild(m);
    });
  }
  function plain(segments) { return segments.map(function (s) { return s[1]; }).join(""); }

  function keep(it) {
    var f = filter.value;
    if (runFilter && runFilter.value !== "all" && it.run !== runFilter.value) return false;
    var q = find.value.trim().toLowerCase();
    if (q && it.key.toLowerCase().indexOf(q) < 0 && plain(it.problem).toLowerCase().indexOf(q) < 0) return false;
    if (f === "errors") return it.decision === "no" || !it.valid;
    if (f === "disagreements") return it.disagrees;
    if (f === "invalid") return !it.valid;
    return true;
  }

  function chainPanel(panel, it, c) {
    panel.textContent = "";
    panel.dataset.chain = String(c.index);
    var meta = el("div", null, "chain-meta");
    meta.appendChild(el("span", c.valid ? "\u2713 valid" : "\u2717 invalid", c.valid ? "ok" : "bad"));
    meta.appendChild(el("span", "score " + fmt(c.score, 4)));
    meta.appendChild(el("span", c.tokens + " tokens"));
    meta.appendChild(el("span", "finish: " + c.finishReason));
    meta.appendChild(el("span", c.rounds + (c.rounds === 1 ? " round" : " rounds")));
    meta.appendChild(el("span", "first incorrect: " + stepName(c.firstIncorrectStep)));
    var marks = el("span", null, "marks");
    c.stepVerdicts.forEach(function (v, i) { var m = mark(v); var s = el("span", m[0], m[1]); s.title = "step " + (i + 1) + ": " + v; marks.appendChild(s); });
    meta.appendChild(marks);
    panel.appendChild(meta);
    if (c.earlyExit) panel.appendChild(el("div", "early exit: " + c.earlyExit, "muted"));
    [[c.issues, "bad"], [c.warnings, "muted"]].forEach(function (pair) {
      if (pair[0].length === 0) return;
      var ul = el("ul", null, "issues " + pair[1]);
      pair[0].forEach(function (x) { ul.appendChild(el("li", x)); });
      panel.appendChild(ul);
    });
    var text = el("div", null, "tex chain");
    if (c.text.length === 0) text.appendChild(el("span", "(empty chain)", "muted"));
    typeset(text, c.text);
    panel.appendChild(text);
  }

  function show(it, index) {
    detail.textContent = "";
    detail.dataset.item = String(index);
    var h = el("h3");
    if (several) h.appendChild(chip(it.run));
    h.appendChild(document.createTextNode(it.key + " \u2014 score " + fmt(it.score, 4) + " (" + (it.decision === null ? "no valid chain" : it.decision) + ")"));
    detail.appendChild(h);
    var gold = [];
    if (it.goldFirstError !== null) gold.push("gold first error: " + stepName(it.goldFirstError));
    if (it.goldCorrect !== null) gold.push("gold: solution " + (it.goldCorrect ? "correct" : "incorrect"));
    gold.push("predicted first error: " + stepName(it.firstIncorrectStep));
    detail.appendChild(el("div", gold.join(" \u00b7 "), "muted"));
    // problem and solution scroll in their own box, so the chains start within the first screen
    var solution = el("div", null, "item-text");
    solution.appendChild(el("div", "Problem", "label"));
    var problem = el("div", null, "tex problem");
    typeset(problem, it.problem);
    solution.appendChild(problem);
    solution.appendChild(el("div", "Solution \u2014 majority verdict per step", "label"));
    var ol = el("ol", null, "steps");
    it.steps.forEach(function (s, i) {
      var li = el("li"), m = mark(it.stepVerdicts[i]);
      if (it.goldFirstError === i) li.className = "gold-error";
      li.appendChild(el("span", m[0], "mark " + m[1]));
      var t = el("span", null, "tex");
      typeset(t, s);
      li.appendChild(t);
      if (typeof it.stepScores[i] === "number") li.appendChild(el("span", "P(correct) " + it.stepScores[i].toFixed(3), "step-score"));
      if (it.goldFirstError === i) li.appendChild(el("span", "\u2190 gold first error", "gold-note"));
      ol.appendChild(li);
    });
    solution.appendChild(ol);
    detail.appendChild(solution);
    detail.appendChild(el("div", "Verification chains (" + it.chains.length + ")", "label"));
    var tabs = el("div", null, "tabs"), panel = el("div", null, "chain-panel");
    tabs.setAttribute("role", "tablist");
    panel.setAttribute("role", "tabpanel");
    it.chains.forEach(function (c, k) {
      var b = el("button", "chain " + (k + 1) + " \u00b7 " + (c.valid ? fmt(c.score, 3) : "invalid"), c.valid ? "" : "bad");
      b.type = "button";
      b.setAttribute("role", "tab");
      b.setAttribute("aria-selected", k === 0 ? "true" : "false");
      b.addEventListener("click", function () {
        Array.prototype.forEach.call(tabs.children, function (x) { x.setAttribute("aria-selected", "false"); });
        b.setAttribute("aria-selected", "true");
        chainPanel(panel, it, c);
      });
      tabs.appendChild(b);
    });
    detail.appendChild(tabs);
    if (it.chains.length > 0) { chainPanel(panel, it, it.chains[0]); detail.appendChild(panel); }
    else detail.appendChild(el("p", "no chains stored", "muted"));
    detail.scrollTop = 0;
    // bring the chain into view: it sits beside the list, or below it on a narrow window
    var top = detail.getBoundingClientRect().top;
    if (top < 0 || top > 40) detail.scrollIntoView({ block: "start" });
  }

  function open(index, tr) {
    Array.prototype.forEach.call(rows.querySelectorAll("tr.sel"), function (r) { r.classList.remove("sel"); });
    if (tr) { tr.classList.add("sel"); tr.scrollIntoView({ block: "nearest" }); }
    show(items[index], index);
    history.replaceState(null, "", "#item-" + index);
  }

  function render() {
    rows.textContent = "";
    var shown = 0;
    items.forEach(function (it, index) {
      if (!keep(it)) return;
      shown++;
      var tr = el("tr");
      tr.tabIndex = 0;
      tr.dataset.index = String(index);
      var key = el("td");
      if (several) key.appendChild(chip(it.run));
      key.appendChild(document.createTextNode(it.key));
      tr.appendChild(key);
      tr.appendChild(el("td", it.decision === null ? "invalid" : fmt(it.score, 3) + " " + it.decision, it.decision === "yes" ? "ok" : "bad"));
      var v = el("td", null, "marks");
      it.stepVerdicts.forEach(function (s, i) { var m = mark(s); var x = el("span", m[0], m[1]); if (it.goldFirstError === i) x.className += " gold"; v.appendChild(x); });
      tr.appendChild(v);
      var pred = it.firstIncorrectStep < 0 ? "none" : String(it.firstIncorrectStep + 1);
      var gold = it.goldFirstError === null ? "\u2014" : it.goldFirstError < 0 ? "none" : String(it.goldFirstError + 1);
      tr.appendChild(el("td", pred + " / " + gold, it.goldFirstError !== null && it.goldFirstError !== it.firstIncorrectStep ? "bad" : ""));
      var valid = it.chains.filter(function (c) { return c.valid; }).length;
      tr.appendChild(el("td", valid + "/" + it.chains.length, valid === it.chains.length ? "" : "bad"));
      tr.appendChild(el("td", String(it.generatedTokens)));
      tr.addEventListener("click", function () { open(index, tr); });
      tr.addEventListener("keydown", function (e) {
        var next = e.key === "ArrowDown" ? tr.nextElementSibling : e.key === "ArrowUp" ? tr.previousElementSibling : e.key === "Enter" ? tr : null;
        if (!next) return;
        e.preventDefault();
        next.focus();
        open(Number(next.dataset.index), next);
      });
      rows.appendChild(tr);
    });
    count.textContent = shown + " of " + items.length + " shown";
  }

  [filter, runFilter].forEach(function (s) { if (s) s.addEventListener("change", render); });
  find.addEventListener("input", render);
  render();
  var linked = /^#item-(\d+)$/.exec(location.hash);
  if (linked && items[Number(linked[1])]) open(Number(linked[1]), rows.querySelector('tr[data-index="' + linked[1] + '"]'));
})();
`;
