#!/usr/bin/env node
// Launches the built CLI. A committed launcher (rather than pointing `bin` at dist/) lets the
// package manager link the command in a fresh workspace before anything is built.
import '../dist/cli.js';
