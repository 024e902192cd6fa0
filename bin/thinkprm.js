#!/usr/bin/env node
// The compiled CLI (npm ci / npm run build writes dist/).
import "../dist/cli/bin.js";
