// Runs the real grader as whoever runs this script (the attack suite starts it as an ordinary user
// with setpriv when the suite itself runs as root): reads {program, tests, options} as JSON on
// stdin, writes {uid, info, grade} as JSON on stdout; a sandbox error exits 1 with its message.
import { gradeProgram } from "../../src/grading/code.js";
import { sandboxInfo } from "../../src/grading/sandbox.js";

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
try {
  const grade = await gradeProgram(request.program, request.tests, request.options);
  process.stdout.write(JSON.stringify({ uid: process.getuid?.(), info: sandboxInfo(), grade }));
} catch (e) {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
}
