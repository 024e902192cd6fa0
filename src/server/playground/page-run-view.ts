/**
 * The part of the playground's script that shows one verification as it streams (spliced into
 * page-script.ts's function, whose helpers — `ui`, `el`, `segmentNode`, `showInput`, `text`,
 * `describeError`, `say` — it uses). Per chain: its text, typeset incrementally (only the segments
 * that changed since the last frame are rebuilt, so a long chain does not slow the page down),
 * the step it is on, its verdicts and its decision; per step, one ✓/✗ badge per chain.
 */
export const RUN_VIEW = String.raw`
  /** A step header at the start of a line, as the chain parser reads it (core/parse-chain.ts). */
  const HEADER = /^[ \t>*#_-]*Step\s+(\d+)\b/gm;
  const fixed = (x, d) => (typeof x === "number" ? x.toFixed(d) : "\u2014");

  /** Starts showing a verification of body (the request) and returns its handle. */
  function startRun(body, controller) {
    const steps = body.steps;
    const t0 = performance.now();
    const chains = [];
    const r = { controller, finished: false, selected: 0, tokens: 0, on, end };
    let frame = 0;
    let shown = { chain: -1, keys: [], nodes: [] };
    const ticker = setInterval(status, 250);

    function chain(i) {
      while (chains.length <= i) chains.push({ text: "", lastStep: -1, round: 1, score: null, valid: null, decided: false });
      return chains[i];
    }
    for (let i = 0; i < body.k; i++) chain(i);

    ui.stale.hidden = true;
    // the previous verification's tabs and text go (their click handlers belong to it)
    ui.tabs.textContent = "";
    ui.chain.textContent = "";
    showInput(body.problem, steps);
    ui.stepsNote.textContent = body.k > 1 ? "one \u2713/\u2717 per chain, numbered by chain" : "";
    // on a narrow window the output sits below the input: bring it into view
    if (ui.output.getBoundingClientRect().top > window.innerHeight * 0.6) ui.output.scrollIntoView({ block: "start" });
    ui.result.className = "result running";
    ui.result.textContent = "";
    ui.result.appendChild(el("p", "Verifying\u2026 the score comes when every chain has decided.", "running-note"));

    /** The step a chain is judging now: the last Step k header after its last verdict, else the step after that verdict. */
    function underReview(c) {
      if (c.decided || r.finished || c.text === "") return -1;
      let k = c.lastStep + 1;
      HEADER.lastIndex = Math.max(0, c.text.lastIndexOf("\\boxed"));
      let m;
      while ((m = HEADER.exec(c.text))) {
        const n = Number(m[1]);
        if (n >= 1 && n <= steps.length) k = n - 1;
      }
      return k < steps.length ? k : -1;
    }
    function tabLabel(c, i) {
      const name = "chain " + (i + 1) + (c.round > 1 ? " \u00b7 round " + c.round : "");
      if (c.decided) return name + " \u00b7 " + (c.valid && c.score !== null ? fixed(c.score, 3) + (c.score >= 0.5 ? " Yes" : " No") : "invalid");
      if (r.finished) return name + " \u00b7 " + r.state;
      if (c.text === "") return name + " \u00b7 waiting";
      const k = underReview(c);
      return name + " \u00b7 " + (k >= 0 ? "step " + (k + 1) : "deciding");
    }
    function tabs() {
      while (ui.tabs.children.length < chains.length) {
        const i = ui.tabs.children.length;
        const b = el("button");
        b.type = "button";
        b.setAttribute("role", "tab");
        b.addEventListener("click", () => { r.selected = i; render(); });
        ui.tabs.appendChild(b);
      }
      while (ui.tabs.children.length > chains.length) ui.tabs.lastChild.remove();
      chains.forEach((c, i) => {
        const b = ui.tabs.children[i];
        b.textContent = tabLabel(c, i);
        b.setAttribute("aria-selected", i === r.selected ? "true" : "false");
        b.className = c.decided && !c.valid ? "bad" : "";
      });
    }
    /** Typesets the selected chain, rebuilding only the segments that changed. */
    function chainText() {
      const c = chains[r.selected];
      if (shown.chain !== r.selected) {
        ui.chain.textContent = "";
        shown = { chain: r.selected, keys: [], nodes: [] };
      }
      const atBottom = ui.chain.scrollHeight - ui.chain.scrollTop - ui.chain.clientHeight < 40;
      const segments = c.text === "" ? [["w", r.finished ? "(no text)" : "waiting for the model\u2026"]] : text.splitChain(c.text, steps.length);
      let i = 0;
      while (i < shown.keys.length && i < segments.length && shown.keys[i] === JSON.stringify(segments[i])) i++;
      for (let j = shown.nodes.length - 1; j >= i; j--) shown.nodes[j].remove();
      shown.nodes.length = i;
      shown.keys.length = i;
      for (; i < segments.length; i++) {
        const s = segments[i];
        const node = s[0] === "w" ? el("span", s[1], "muted") : segmentNode(s);
        ui.chain.appendChild(node);
        shown.nodes.push(node);
        shown.keys.push(JSON.stringify(s));
      }
      if (atBottom && !r.finished) ui.chain.scrollTop = ui.chain.scrollHeight;
    }
    function highlight() {
      const k = underReview(chains[r.selected]);
      Array.from(ui.viewSteps.children).forEach((li, i) => li.classList.toggle("reviewing", i === k));
    }
    function status() {
      const s = ((performance.now() - t0) / 1000).toFixed(1) + " s";
      ui.status.textContent = r.finished ? r.state + " after " + s : "verifying \u00b7 " + s + " \u00b7 " + r.tokens + " tokens";
    }
    function render() {
      if (frame) { cancelAnimationFrame(frame); frame = 0; }
      chainText();
      highlight();
      tabs();
      status();
    }
    const schedule = () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); }); };

    /** Puts (or replaces) chain i's verdict on a step. */
    function badge(step, i, verdict) {
      const li = ui.viewSteps.children[step];
      if (!li) return;
      const slot = li.querySelector(".badges");
      const old = slot.querySelector('[data-chain="' + i + '"]');
      const b = el("span", verdict === "correct" ? "\u2713" : "\u2717", "badge " + (verdict === "correct" ? "ok" : "bad"));
      b.dataset.chain = String(i);
      b.dataset.verdict = verdict;
      b.title = "chain " + (i + 1) + ": step " + (step + 1) + " " + verdict;
      if (chains.length > 1) b.appendChild(el("sub", String(i + 1)));
      if (old) { if (old.dataset.verdict !== verdict) old.replaceWith(b); return; }
      const after = Array.from(slot.children).find((x) => Number(x.dataset.chain) > i);
      slot.insertBefore(b, after || null);
    }

    function on(event, data) {
      if (r.finished) return;
      const c = data && typeof data.chain === "number" ? chain(data.chain) : null;
      if (event === "token" && c) { c.text += data.text; r.tokens++; schedule(); }
      else if (event === "step" && c) {
        c.lastStep = data.step;
        badge(data.step, data.chain, data.verdict);
        highlight();
        schedule();
      }
      else if (event === "round" && c) { c.round = data.round; c.lastStep = -1; schedule(); }
      else if (event === "decision" && c) { c.decided = true; c.score = data.score; c.valid = data.valid; schedule(); }
      else if (event === "done") done(data);
      else if (event === "error") {
        const d = describeError(null, data && data.error);
        end("failed");
        say("error", d[0], d[1]);
      }
    }

    /** The whole verification: the final word on every badge, the score, each chain's outcome. */
    function done(v) {
      v.chains.forEach((outcome, i) => {
        const c = chain(i);
        c.text = outcome.text;
        c.decided = true;
        c.valid = outcome.valid;
        c.score = outcome.score;
        const last = [];
        outcome.judgments.forEach((j) => { last[j.stepIndex] = j.verdict; });
        last.forEach((verdict, step) => { if (verdict) badge(step, i, verdict); });
      });
      Array.from(ui.viewSteps.children).forEach((li, i) => {
        const verdict = v.step_verdicts[i];
        if (verdict === "correct" || verdict === "incorrect") li.classList.add("final-" + verdict);
        if (i === v.first_incorrect_step) li.classList.add("first-error");
        // a step no valid chain judged: say so, rather than leave it looking pending
        if (verdict === "unverified") {
          const none = el("span", "\u00b7", "badge un");
          none.title = "step " + (i + 1) + ": no valid chain judged it";
          li.querySelector(".badges").appendChild(none);
        }
      });
      finish("done");
      ui.result.className = "result " + (v.decision === "yes" ? "yes" : v.decision === "no" ? "no" : "invalid");
      ui.result.textContent = "";
      const line = el("div", null, "score-line");
      line.appendChild(el("span", "score", "score-label"));
      const score = el("span", v.score === null ? "none" : v.score.toFixed(4), "score");
      score.id = "score";
      score.dataset.score = String(v.score);
      line.appendChild(score);
      line.appendChild(el("span", v.decision === "yes" ? "Yes \u2014 the solution is judged correct" : v.decision === "no" ? "No \u2014 the solution is judged incorrect" : "no valid chain, so no score", "decision"));
      ui.result.appendChild(line);
      const facts = [
        "P(Yes) / (P(Yes) + P(No)), the mean over " + v.valid_chains + " valid chain" + (v.valid_chains === 1 ? "" : "s") + " of " + v.chains.length,
        v.first_incorrect_step >= 0 ? "first incorrect step: " + (v.first_incorrect_step + 1) : "no step judged incorrect",
        "tokens: " + v.usage.prompt_tokens + " prompt evaluated, " + v.usage.cached_tokens + " reused from cache, " + v.usage.completion_tokens + " generated",
      ];
      ui.result.appendChild(el("p", facts.join(" \u00b7 "), "facts"));
      const table = el("table", null, "chains");
      const head = el("tr");
      ["chain", "valid", "score", "decision", "first incorrect", "early exit", "issues"].forEach((h) => head.appendChild(el("th", h)));
      table.appendChild(head);
      v.chains.forEach((c, i) => {
        const tr = el("tr");
        tr.appendChild(el("td", String(i + 1)));
        tr.appendChild(el("td", c.valid ? "\u2713" : "\u2717", c.valid ? "ok" : "bad"));
        tr.appendChild(el("td", fixed(c.score, 4)));
        tr.appendChild(el("td", !c.valid || c.score === null ? "\u2014" : c.score >= 0.5 ? "Yes" : "No", c.valid && c.score !== null ? (c.score >= 0.5 ? "ok" : "bad") : ""));
        const wrong = c.judgments.find((j) => j.verdict === "incorrect");
        tr.appendChild(el("td", wrong ? "step " + (wrong.stepIndex + 1) : "none"));
        tr.appendChild(el("td", c.early_exit ? "at step " + (c.early_exit.atStep + 1) + ", " + c.early_exit.stepsSkipped + " skipped" : "\u2014"));
        tr.appendChild(el("td", c.issues.map((x) => x.message).join("; ") || "\u2014"));
        table.appendChild(tr);
      });
      ui.result.appendChild(table);
    }

    function finish(state) {
      r.finished = true;
      r.state = state;
      clearInterval(ticker);
      render();
    }
    /** A verification that ends without its result (stopped, refused, failed). */
    function end(state) {
      if (r.finished) return;
      finish(state);
      ui.result.className = "result " + state;
      ui.result.textContent = "";
      ui.result.appendChild(el("p", state === "stopped" ? "Stopped after " + r.tokens + " tokens: no score." : "No score: the verification did not finish (see the message on the left)."));
    }

    render();
    return r;
  }
`;
