#!/usr/bin/env node
'use strict';
// The `pipewise` command: the bundled CLI (built by `npm run build`).
require('../out/cli.js');
