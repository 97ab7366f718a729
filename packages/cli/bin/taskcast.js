#!/usr/bin/env node
// The `taskcast` command. A committed file rather than the built dist/bin.js, so that the link
// a package manager creates at install time has a target before the first build.
import '../dist/bin.js'
