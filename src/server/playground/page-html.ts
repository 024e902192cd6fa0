/**
 * The playground page: static markup only (no inline script or style, no data from the server);
 * page-script.ts fills it in. Everything a user types or a model writes is put in through DOM
 * text nodes and KaTeX, never as markup.
 */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>thinkprm playground</title>
<link rel="icon" href="/playground/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/playground/katex.min.css">
<link rel="stylesheet" href="/playground/playground.css">
<script defer src="/playground/katex.min.js"></script>
<script defer src="/playground/text.js"></script>
<script defer src="/playground/playground.js"></script>
</head>
<body>
<header>
  <h1>thinkprm playground</h1>
  <span id="connection" class="muted">connecting…</span>
  <button id="change-token" type="button" class="link">set token</button>
</header>
<main>
<section id="input" aria-label="Problem and solution">
  <label class="row">Example
    <select id="example"><option value="">— pick an example —</option></select>
  </label>
  <label class="label" for="problem">Problem</label>
  <textarea id="problem" rows="3" spellcheck="false" placeholder="The problem, with math as $…$ or \\(…\\)"></textarea>
  <label class="label" for="solution">Solution</label>
  <textarea id="solution" rows="6" spellcheck="false" placeholder="Paste a solution: Step 1: … Step 2: …, or paragraphs, or plain sentences"></textarea>
  <div class="label">Steps <span id="split-note" class="note"></span></div>
  <ol id="step-editor" class="step-editor"></ol>
  <button id="add-step" type="button" class="small">+ add a step</button>
  <fieldset class="settings">
    <legend>Verifier</legend>
    <label title="parallel verification chains; the score is their mean">K chains <input id="k" type="number" min="1" max="16" value="1"></label>
    <label title="thinking rounds per chain (sequential scaling)">rounds <select id="rounds"><option>1</option><option>2</option><option>3</option><option>4</option></select></label>
    <label title="stop a chain at its first incorrect step"><input id="early-exit" type="checkbox"> early exit</label>
    <label title="generation budget per round; empty: the server's">max tokens <input id="max-tokens" type="number" min="1" placeholder="server's"></label>
    <label title="sampling temperature; empty: 0 for one chain, 0.6 for several">temperature <input id="temperature" type="number" min="0" max="2" step="0.1" placeholder="default"></label>
    <label title="sampling seed; empty: drawn by the server">seed <input id="seed" type="number" min="0" step="1" placeholder="random"></label>
  </fieldset>
  <div class="actions">
    <button id="verify" type="button" class="primary" title="Ctrl+Enter">Verify</button>
    <button id="stop" type="button" disabled>Stop</button>
    <span id="status" class="muted" aria-live="polite"></span>
  </div>
  <div id="message" role="alert" hidden></div>
</section>
<section id="output" aria-label="Verification">
  <div id="result" class="result idle"><p class="muted">Pick an example or paste a problem and its solution, then press <b>Verify</b>. The verifier's chain streams below: the step under review is highlighted, and each step gets ✓ or ✗ as the verdict is written.</p></div>
  <p id="stale" class="note" hidden>The input changed since this verification: press Verify to verify it.</p>
  <div class="label">Problem</div>
  <div id="view-problem" class="tex problem"></div>
  <div class="label">Steps <span id="steps-note" class="note"></span></div>
  <ol id="view-steps" class="view-steps"></ol>
  <div class="label">Verification chain</div>
  <div id="chain-tabs" class="tabs" role="tablist"></div>
  <div id="chain-view" class="tex chain" role="tabpanel" aria-live="off"></div>
</section>
</main>
<dialog id="token-dialog" aria-labelledby="token-title">
  <form id="token-form" novalidate>
    <h2 id="token-title">Bearer token</h2>
    <p>This server asks for the token <code>thinkprm serve</code> was started with (its <code>THINKPRM_TOKEN</code>). The page keeps it in this tab only (session storage) and sends it to this server only.</p>
    <p id="token-error" class="error" hidden></p>
    <input id="token" type="password" autocomplete="off" spellcheck="false" aria-label="token">
    <div class="actions"><button type="submit" class="primary">Use this token</button><button id="token-cancel" type="button">Cancel</button></div>
  </form>
</dialog>
</body></html>
`;
