#!/usr/bin/env node
import { processIo, runCli } from "./main.js";

// a reader that went away (`thinkprm runs export … | head`) is not an error: stop quietly
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), processIo());
