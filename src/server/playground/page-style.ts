/** The playground's style sheet (served as a file: the page's policy allows no inline style). */
export const PLAYGROUND_CSS = `
:root{--line:#dde1e7;--muted:#5d6675;--ok:#17813a;--bad:#c62828;--accent:#2456a6;--review:#fff4c2}
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d2330;background:#f4f6f9;font-size:14px;line-height:1.45}
header{display:flex;align-items:baseline;gap:14px;padding:10px 20px;background:#fff;border-bottom:1px solid var(--line)}
header h1{font-size:18px;margin:0}header .link{margin-left:auto}
main{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,7fr);gap:16px;padding:16px 20px 32px;align-items:start}
@media (max-width:1000px){main{grid-template-columns:minmax(0,1fr)}}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 14px}
.muted{color:var(--muted)}.ok{color:var(--ok)}.bad{color:var(--bad)}
.label{display:block;font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;margin:12px 0 4px}
.label .note{text-transform:none;letter-spacing:0;font-weight:400}.note{font-size:12px;color:var(--muted)}
.row{display:flex;gap:8px;align-items:center;font-weight:600;color:var(--muted);font-size:13px}
textarea,input,select{font:inherit;font-size:13px;border:1px solid #c5cbd4;border-radius:4px;padding:5px 7px;background:#fff;color:inherit}
textarea{width:100%;resize:vertical;font-family:"DejaVu Sans Mono",ui-monospace,monospace;field-sizing:content;min-height:2.4em;max-height:40vh}
select{max-width:100%}
textarea:focus,input:focus,select:focus,button:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
button{font:inherit;font-size:13px;border:1px solid #b9c0ca;background:#f2f4f7;border-radius:4px;padding:5px 12px;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff;font-weight:600}
button.small{padding:2px 8px;font-size:12px}button.link{border:none;background:none;color:var(--accent);padding:0;text-decoration:underline}
.step-editor{margin:0 0 6px;padding-left:26px}.step-editor li{margin:0 0 6px}
.step-editor li{display:list-item}.step-editor li>textarea{width:calc(100% - 34px);vertical-align:top}
.step-editor .remove{margin-left:4px;vertical-align:top;color:var(--muted)}
.settings{border:1px solid var(--line);border-radius:4px;margin:12px 0 0;padding:6px 10px 8px;display:flex;flex-wrap:wrap;gap:8px 16px}
.settings legend{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;padding:0 4px}
.settings label{white-space:nowrap;font-size:13px}.settings input[type=number]{width:6.5em}
.actions{display:flex;gap:10px;align-items:center;margin-top:12px}
#message{margin-top:10px;padding:8px 10px;border-radius:4px;overflow-wrap:anywhere}
#message.error{background:#fdecec;border:1px solid #f0b4b4;color:#8a1c1c}
#message.info{background:#eef4ff;border:1px solid #bcd0f5}
.result{border-radius:6px;padding:10px 12px;margin-bottom:6px;border:1px solid var(--line);background:#fafbfc}
.result p{margin:0}.result.yes{border-color:#9fd8ae;background:#f1fbf3}.result.no{border-color:#f0a0a0;background:#fff4f4}
.result.running .running-note::before{content:"";display:inline-block;width:10px;height:10px;margin-right:8px;border-radius:50%;border:2px solid var(--accent);border-right-color:transparent;animation:spin .8s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
.score-line{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap}
.score-label{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase}
.score{font-size:28px;font-weight:700;font-variant-numeric:tabular-nums}
.result.yes .decision{color:var(--ok);font-weight:600}.result.no .decision{color:var(--bad);font-weight:600}
.facts{font-size:12.5px;color:var(--muted);margin:4px 0 8px!important}
table.chains{border-collapse:collapse;font-size:12.5px;width:100%}
table.chains td,table.chains th{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
table.chains th{background:#eef1f5;font-weight:600}
.tex{overflow-wrap:anywhere;white-space:pre-wrap}.tex .katex{white-space:normal}
.tex .katex-display{margin:.4em 0;overflow-x:auto;overflow-y:hidden}
.katex-error{color:#cc0000;font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:.92em}
.problem{padding:4px 2px}
.view-steps{margin:0;padding-left:28px}
.view-steps li{margin:0 0 6px;padding:5px 8px;border-radius:4px;border:1px solid transparent;transition:background .15s}
.view-steps li.reviewing{background:var(--review);border-color:#ecd27a}
.view-steps li.first-error{box-shadow:inset 3px 0 0 var(--bad)}
.badges{float:right;margin-left:10px;white-space:nowrap}
.badge{display:inline-block;min-width:22px;text-align:center;font-weight:700;border-radius:10px;padding:0 6px;margin-left:3px;line-height:20px}
.badge.ok{background:#d8f5df;color:var(--ok)}.badge.bad{background:#ffd9d9;color:var(--bad)}.badge.un{background:#eceef2;color:var(--muted)}
.badge sub{font-size:9px;font-weight:400;margin-left:1px}
.tabs{display:flex;flex-wrap:wrap;gap:4px;border-bottom:1px solid var(--line)}
.tabs button{border-bottom:none;border-radius:4px 4px 0 0;background:#f2f4f7;font-variant-numeric:tabular-nums}
.tabs button[aria-selected=true]{background:#fff;font-weight:600;box-shadow:inset 0 2px 0 var(--accent)}
.tabs button.bad{color:var(--bad)}
.chain{font-size:13.5px;border:1px solid var(--line);border-top:none;padding:8px 10px;max-height:55vh;overflow:auto;background:#fcfcfd;min-height:3em}
.verdict{display:inline-block;border-radius:4px;padding:1px 3px;white-space:nowrap;line-height:1.2}
.verdict sup{font-size:10px;color:var(--muted);margin-left:2px}
.v-correct{background:#d8f5df;box-shadow:0 0 0 1px #9fd8ae}.v-incorrect{background:#ffd9d9;box-shadow:0 0 0 1px #f0a0a0}
dialog{border:1px solid var(--line);border-radius:8px;padding:16px 18px;max-width:440px;box-shadow:0 10px 40px rgba(0,0,0,.25)}
dialog::backdrop{background:rgba(20,30,50,.35)}dialog h2{font-size:16px;margin:0 0 6px}
dialog p{margin:0 0 10px;font-size:13px}dialog input{width:100%}
.error{color:#8a1c1c;background:#fdecec;border:1px solid #f0b4b4;border-radius:4px;padding:6px 8px}
code{font-size:12px;background:#eef1f5;padding:0 3px;border-radius:3px}
`;
