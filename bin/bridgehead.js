#!/usr/bin/env node
// The installed `bridgehead` command. It runs the compiled CLI in dist/, which `npm install`
// builds through the package's prepare script (or `npm run build` after a change). The build
// compiles src/ and the built-in plugins/ side by side: dist/src/..., dist/plugins/<name>/.
import '../dist/src/cli/bin.js';
