#!/usr/bin/env node
// The installed `bridgehead` command. It runs the compiled CLI in dist/, which `npm install`
// builds through the package's prepare script (or `npm run build` after a change).
import '../dist/cli/bin.js';
