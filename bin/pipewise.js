#!/usr/bin/env node
'use strict';
// The `pipewise` command: the bundled CLI (built by `npm run build`), through its entry out/launch.js
// (src/cli/launch.ts: `run` works in a supervised child, so that a native crash is reported).
require('../out/launch.js');
