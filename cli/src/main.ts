#!/usr/bin/env node
import { run } from './program';

void run(process.argv, { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
