/**
 * The playground's script, run in the page. It splits the pasted solution with the library's own
 * splitter (`thinkprmText.splitSteps`, page-lib.generated.ts), posts `/v1/verify` with
 * `stream: true` through `fetch` (EventSource cannot POST or send a header) and reads the server-sent
 * events from the body's stream: tokens extend the chain, `step` puts a ✓/✗ badge on the step the
 * moment its verdict is written, `decision` closes a chain, `done` shows the score. Stop aborts the
 * fetch, which closes the connection, and the server aborts the generation.
 *
 * All text from the user or the model goes in through text nodes, math through `katex.render`
 * (DOM nodes, `trust: false`, bounded expansion and sizes): nothing is ever parsed as HTML.
 */
import { PLAYGROUND_EXAMPLES } from "./examples.js";
import { RUN_VIEW } from "./page-run-view.js";

export const PLAYGROUND_SCRIPT = String.raw`
(() => {
  "use strict";
  const EXAMPLES = ${JSON.stringify(PLAYGROUND_EXAMPLES)};
  const TOKEN_KEY = "thinkprm-playground-token";
  // untrusted TeX: no \href/\url/\html*, bounded macro expansion and sizes. Parse errors are caught
  // and shown by math() below: KaTeX's own error span carries a style attribute, which the page's
  // policy (no inline style) would refuse, with a console error.
  const KATEX = { throwOnError: true, trust: false, strict: "ignore", maxExpand: 200, maxSize: 10, output: "htmlAndMathml" };
  const text = window.thinkprmText;
  const $ = (id) => document.getElementById(id);
  const ui = {
    problem: $("problem"), solution: $("solution"), editor: $("step-editor"), splitNote: $("split-note"),
    verify: $("verify"), stop: $("stop"), status: $("status"), message: $("message"), result: $("result"),
    stale: $("stale"), viewProblem: $("view-problem"), viewSteps: $("view-steps"), tabs: $("chain-tabs"),
    chain: $("chain-view"), connection: $("connection"), dialog: $("token-dialog"), tokenInput: $("token"),
    tokenError: $("token-error"), example: $("example"), stepsNote: $("steps-note"), output: $("output"),
  };

  function el(tag, content, cls) {
    const e = document.createElement(tag);
    if (content !== undefined && content !== null) e.textContent = content;
    if (cls) e.className = cls;
    return e;
  }
  /** Typesets tex into node; TeX that does not parse (or expands too much) stays as its source, marked. */
  function math(node, tex, display) {
    try {
      katex.render(tex, node, Object.assign({ displayMode: display }, KATEX));
    } catch (e) {
      node.textContent = "";
      const source = el("span", tex, "katex-error");
      source.title = String((e && e.message) || e);
      node.appendChild(source);
    }
  }
  /** The DOM node of one segment of text (math-text.ts's tuples). */
  function segmentNode(s) {
    if (s[0] === "t") return document.createTextNode(s[1]);
    if (s[0] === "v") {
      const v = el("span", null, "verdict v-" + s[2]);
      v.title = "the chain's verdict on step " + (s[3] + 1);
      const box = el("span");
      math(box, "\\boxed{\\text{" + s[2] + "}}", false);
      v.appendChild(box);
      v.appendChild(el("sup", "step " + (s[3] + 1)));
      return v;
    }
    const m = el("span", null, s[0] === "d" ? "math math-display" : "math");
    math(m, s[1], s[0] === "d");
    return m;
  }
  function typeset(parent, segments) {
    parent.textContent = "";
    segments.forEach((s) => parent.appendChild(segmentNode(s)));
  }

  ${RUN_VIEW}

  // ---- the message line ----
  function say(kind, title, detail) {
    ui.message.hidden = false;
    ui.message.className = kind;
    ui.message.textContent = "";
    ui.message.appendChild(el("strong", title));
    if (detail) ui.message.appendChild(el("span", " " + detail));
  }
  function unsay() { ui.message.hidden = true; ui.message.textContent = ""; }

  /** What an error answer of /v1/* means, for a person. */
  function describeError(status, error) {
    const type = (error && error.type) || "";
    const message = (error && error.message) || "";
    const titles = {
      special_token: "The server refused the text: it contains a special-token string the model's server would read as a control token.",
      invalid_request: "The server refused the request:",
      too_large: "The problem and solution are too long for this server:",
      overloaded: "The server is busy:",
      timeout: "The verification took too long:",
      engine_unavailable: "The model's server is unavailable:",
      server_error: "The server failed:",
    };
    const fallback = (status ? "The server answered " + status : "The verification failed") + (type ? " (" + type + ")" : "") + ":";
    return [titles[type] || fallback, message];
  }

  // ---- the token ----
  let token = sessionStorage.getItem(TOKEN_KEY);
  let afterToken = null;
  const authHeaders = () => (token ? { authorization: "Bearer " + token } : {});

  /**
   * Whether a token (or none) is good, without a 401 in the console: GET /health answers anyone,
   * and names the model only to a caller the server takes (or to everyone when it runs without a
   * token). Answers the model's id, or "unauthorized", or an error.
   */
  async function probe(candidate) {
    const r = await fetch("/health", { headers: candidate ? { authorization: "Bearer " + candidate } : {}, cache: "no-store" });
    if (!r.ok) return { error: "GET /health answered " + r.status };
    const body = await r.json();
    return body && typeof body.model === "string" ? { model: body.model } : { unauthorized: true };
  }
  function connected(model) {
    ui.connection.textContent = "model " + model;
    ui.connection.className = "ok";
  }
  function askToken(why, then) {
    afterToken = then || null;
    ui.tokenError.hidden = !why;
    ui.tokenError.textContent = why || "";
    ui.tokenInput.value = "";
    if (!ui.dialog.open) ui.dialog.showModal();
    ui.tokenInput.focus();
  }
  $("token-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const candidate = ui.tokenInput.value.trim();
    if (!candidate) { ui.tokenError.hidden = false; ui.tokenError.textContent = "Enter the token."; return; }
    let r;
    try { r = await probe(candidate); } catch (err) { r = { error: "cannot reach the server (" + err.message + ")" }; }
    if (r.unauthorized) {
      ui.tokenError.hidden = false;
      ui.tokenError.textContent = "The server refused this token (401). Enter the token thinkprm serve was started with (THINKPRM_TOKEN).";
      ui.tokenInput.select();
      return;
    }
    if (r.error) { ui.tokenError.hidden = false; ui.tokenError.textContent = r.error; return; }
    token = candidate;
    sessionStorage.setItem(TOKEN_KEY, token);
    ui.dialog.close();
    connected(r.model);
    const then = afterToken;
    afterToken = null;
    if (then) then();
  });
  $("token-cancel").addEventListener("click", () => { afterToken = null; ui.dialog.close(); });
  // Escape closes the dialog too: what was waiting for the token is dropped, as with Cancel
  ui.dialog.addEventListener("cancel", () => { afterToken = null; });
  $("change-token").addEventListener("click", () => askToken(null));
  ui.dialog.addEventListener("close", () => {
    if (!token) { ui.connection.textContent = "no token: Verify will ask for it"; ui.connection.className = "muted"; }
  });

  // ---- the input: problem, solution, steps ----
  let editedByHand = false;
  function splitRule(solution) {
    if (/Step \p{Nd}+:/u.test(solution)) return "at its Step N: headers";
    return text.splitSteps(solution, "blank-lines").length > 1 ? "at blank lines" : "into sentences";
  }
  function stepRow(value) {
    const li = el("li");
    const area = el("textarea", null, "step-text");
    area.rows = 1;
    area.spellcheck = false;
    area.value = value;
    area.addEventListener("input", () => { editedByHand = true; inputChanged(); });
    const remove = el("button", "\u2715", "small remove");
    remove.type = "button";
    remove.title = "remove this step";
    remove.addEventListener("click", () => { li.remove(); editedByHand = true; inputChanged(); });
    li.appendChild(area);
    li.appendChild(remove);
    return li;
  }
  function setSteps(steps) {
    ui.editor.textContent = "";
    steps.forEach((s) => ui.editor.appendChild(stepRow(s)));
  }
  const currentSteps = () => Array.from(ui.editor.querySelectorAll("textarea")).map((a) => a.value);
  function resplit() {
    const solution = ui.solution.value;
    const steps = solution.trim() ? text.splitSteps(solution) : [];
    setSteps(steps);
    editedByHand = false;
    ui.splitNote.textContent = solution.trim() ? steps.length + (steps.length === 1 ? " step" : " steps") + ", cut " + splitRule(solution) + "; edit them below" : "";
    inputChanged();
  }
  let splitTimer = 0;
  ui.solution.addEventListener("input", () => {
    clearTimeout(splitTimer);
    splitTimer = setTimeout(() => { splitTimer = 0; resplit(); }, 150);
  });
  ui.problem.addEventListener("input", inputChanged);
  $("add-step").addEventListener("click", () => {
    const li = stepRow("");
    ui.editor.appendChild(li);
    li.querySelector("textarea").focus();
    editedByHand = true;
    inputChanged();
  });
  EXAMPLES.forEach((x) => { const o = el("option", x.title); o.value = x.id; ui.example.appendChild(o); });
  ui.example.addEventListener("change", () => {
    const x = EXAMPLES.find((e) => e.id === ui.example.value);
    if (!x) return;
    ui.problem.value = x.problem;
    ui.solution.value = x.solution;
    resplit();
  });

  /** The output panel's problem and steps: a preview while no verification is shown. */
  function showInput(problem, steps) {
    typeset(ui.viewProblem, text.splitMath(problem));
    ui.viewSteps.textContent = "";
    steps.forEach((s, i) => {
      const li = el("li");
      li.dataset.step = String(i);
      const t = el("span", null, "tex");
      typeset(t, text.splitMath(s));
      li.appendChild(t);
      li.appendChild(el("span", null, "badges"));
      ui.viewSteps.appendChild(li);
    });
  }
  let previewTimer = 0;
  function inputChanged() {
    if (run) { ui.stale.hidden = !run.finished; return; }
    clearTimeout(previewTimer);
    // a verification started meanwhile owns the output panel: the preview must not wipe it
    previewTimer = setTimeout(() => { if (!run) showInput(ui.problem.value, currentSteps()); }, 120);
  }

  // ---- a verification ----
  let run = null;
  const number = (id) => { const v = $(id).value.trim(); return v === "" ? undefined : Number(v); };

  function request() {
    const problem = ui.problem.value;
    const steps = currentSteps().filter((s) => s.trim() !== "");
    if (!problem.trim()) return { error: "Write a problem first (or pick an example)." };
    if (steps.length === 0) return { error: "The solution has no steps: paste a solution or add a step." };
    const body = { problem, steps, stream: true, k: number("k") || 1, rounds: Number($("rounds").value), early_exit: $("early-exit").checked };
    for (const [id, field] of [["max-tokens", "max_tokens"], ["temperature", "temperature"], ["seed", "seed"]]) {
      const v = number(id);
      if (v !== undefined && !Number.isNaN(v)) body[field] = v;
    }
    return { body };
  }

  async function verify() {
    if (run && !run.finished) return;
    // a solution typed in the last moment is split now, so what is verified is what was typed
    if (splitTimer) { clearTimeout(splitTimer); splitTimer = 0; resplit(); }
    clearTimeout(previewTimer);
    const r = request();
    if (r.error) { say("error", r.error); return; }
    unsay();
    const controller = new AbortController();
    run = startRun(r.body, controller);
    ui.verify.disabled = true;
    ui.stop.disabled = false;
    try {
      const res = await fetch("/v1/verify", {
        method: "POST",
        headers: Object.assign({ "content-type": "application/json", accept: "text/event-stream" }, authHeaders()),
        body: JSON.stringify(r.body),
        signal: controller.signal,
        cache: "no-store",
      });
      if (res.status === 401) {
        const had = token !== null;
        token = null;
        sessionStorage.removeItem(TOKEN_KEY);
        run.end("failed");
        say("error", had ? "The server refused the token (401)." : "This server needs a token.", "Enter it to verify.");
        askToken(had ? "The server refused the token this tab had (401): enter the current one." : null, verify);
        return;
      }
      if (!res.ok || !(res.headers.get("content-type") || "").includes("text/event-stream")) {
        let error = null;
        try { error = (await res.json()).error; } catch (e) { /* not JSON */ }
        const d = describeError(res.status, error);
        run.end("failed");
        say("error", d[0], d[1]);
        return;
      }
      await readEvents(res.body, (event, data) => run.on(event, data));
      if (!run.finished) {
        run.end("failed");
        say("error", "The stream ended before the verification finished.", "The server stopped or the connection dropped.");
      }
    } catch (e) {
      if (controller.signal.aborted) {
        run.end("stopped");
        say("info", "Stopped.", "The request was cancelled; the server stops generating.");
      } else {
        run.end("failed");
        say("error", "The connection to the server failed:", String((e && e.message) || e));
      }
    } finally {
      ui.verify.disabled = false;
      ui.stop.disabled = true;
    }
  }

  /** Reads server-sent events from a response body, calling on(event, data) for each. */
  async function readEvents(body, on) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    const end = /\r?\n\r?\n/;
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let m;
      while ((m = end.exec(buffer))) {
        const block = buffer.slice(0, m.index);
        buffer = buffer.slice(m.index + m[0].length);
        let event = "message";
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
        if (data.length === 0) continue;
        let parsed;
        try { parsed = JSON.parse(data.join("\n")); } catch (e) { parsed = data.join("\n"); }
        on(event, parsed);
      }
    }
  }

  ui.verify.addEventListener("click", verify);
  ui.stop.addEventListener("click", () => { if (run && run.controller) run.controller.abort(); });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !ui.dialog.open) { e.preventDefault(); verify(); }
  });

  // first look: does this server need a token, and is the one this tab has still good?
  (async () => {
    try {
      const r = await probe(token);
      if (r.model) connected(r.model);
      else if (r.unauthorized) {
        const had = token !== null;
        token = null;
        sessionStorage.removeItem(TOKEN_KEY);
        askToken(had ? "The server refused the token this tab had: enter the current one." : null);
      } else say("error", "The server answered oddly:", r.error);
    } catch (e) {
      say("error", "Cannot reach the server:", String((e && e.message) || e));
    }
  })();
  showInput("", []);
})();
`;
