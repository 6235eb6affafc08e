/**
 * Process entry of the `bridgehead` command (bin/bridgehead.js loads the compiled copy).
 * Sets the exit code; `serve` keeps the process alive until a signal stops it.
 */
import { main } from './index.js';

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
if (code >= 0) process.exitCode = code;
