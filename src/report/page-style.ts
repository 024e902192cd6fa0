/** The report page's style sheet (KaTeX's own sheet is embedded beside it). */
export const PAGE_CSS = `
:root{--line:#dde1e7;--muted:#5d6675;--ok:#17813a;--bad:#c62828;--sel:#dbe8ff}
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:0;padding:20px 24px 40px;color:#1d2330;background:#fafbfc;font-size:14px;line-height:1.45}
h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0 0 8px}nav a{margin-right:14px;color:#2456a6}.muted{color:var(--muted)}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}table.by-run td{font-variant-numeric:tabular-nums}
.chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{background:#fff;border:1px solid var(--line);padding:8px 10px}
.chart h3{font-size:14px;margin:0 0 2px}.chart .note{font-size:12px;color:var(--muted);margin:0 0 6px}
pre{background:#fff;border:1px solid var(--line);padding:8px;font-size:12px;white-space:pre-wrap;max-height:320px;overflow:auto}
.ok{color:var(--ok)}.bad{color:var(--bad)}.un{color:#999}
.controls{margin:8px 0;display:flex;flex-wrap:wrap;gap:14px;align-items:center}
.viewer{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,7fr);gap:16px;align-items:start}
@media (max-width:1000px){.viewer{grid-template-columns:minmax(0,1fr)}}
.list{max-height:78vh;overflow:auto;border:1px solid var(--line);background:#fff}
.list table{width:100%}.list th{position:sticky;top:0;z-index:1}.list td,.list th{border-width:0 0 1px 0}
#rows tr{cursor:pointer}#rows tr:hover{background:#eef4ff}#rows tr.sel{background:var(--sel)}
#rows td{white-space:nowrap}.marks .gold{text-decoration:underline}
.item-text{max-height:42vh;overflow:auto;border-bottom:1px solid var(--line);padding-bottom:6px;margin-bottom:4px}
#rows tr:focus{outline:2px solid #2456a6;outline-offset:-2px}.marks{letter-spacing:1px;white-space:nowrap}
#detail{position:sticky;top:8px;max-height:calc(100vh - 16px);overflow:auto;background:#fff;border:1px solid var(--line);padding:12px 14px;scroll-margin-top:8px}
#detail .placeholder{color:var(--muted)}
.label{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;margin:14px 0 4px}
.tex{position:relative;overflow:auto;overflow-wrap:anywhere;white-space:pre-wrap}
.tex .katex{white-space:normal}.tex .katex-display{margin:.4em 0;overflow-x:auto;overflow-y:hidden}
.math-error{color:var(--bad);font-family:monospace}
ol.steps{margin:0;padding-left:28px}ol.steps li{margin:0 0 8px;padding:4px 6px;border-radius:4px}
ol.steps li.gold-error{box-shadow:inset 3px 0 0 var(--bad)}ol.steps .mark{font-weight:700;margin-right:6px}
.step-score,.gold-note{font-size:12px;color:var(--muted);margin-left:8px;white-space:nowrap}.gold-note{color:var(--bad);font-weight:600}
.tabs{display:flex;flex-wrap:wrap;gap:4px;border-bottom:1px solid var(--line);margin-top:4px}
.tabs button{font:inherit;font-size:13px;border:1px solid var(--line);border-bottom:none;background:#f2f4f7;padding:4px 10px;border-radius:4px 4px 0 0;cursor:pointer}
.tabs button[aria-selected=true]{background:#fff;font-weight:600;box-shadow:inset 0 2px 0 #2456a6}
.chain-panel{border:1px solid var(--line);border-top:none;padding:10px 12px}
.chain-meta{font-size:13px;margin-bottom:6px}.chain-meta span{margin-right:12px}
.issues{margin:4px 0 8px;padding-left:20px;font-size:13px}
.tex.chain{font-size:13.5px;background:#fcfcfd;border:1px solid #eceef2;padding:8px 10px;max-height:none}
.verdict{display:inline-block;border-radius:4px;padding:1px 3px;white-space:nowrap;line-height:1.2}.verdict sup{font-size:10px;color:var(--muted);margin-left:2px}
.v-correct{background:#d8f5df;box-shadow:0 0 0 1px #9fd8ae}.v-incorrect{background:#ffd9d9;box-shadow:0 0 0 1px #f0a0a0}
`;
