#!/usr/bin/env node
import { ContextError } from './context.js';
import { createTributaryApp } from './tributary-app.js';

// Entry of `cdk synth` / `cdk deploy` (cdk.json: node --import tsx infra/app.ts).
try {
  const { app } = await createTributaryApp();
  app.synth();
} catch (error: unknown) {
  if (error instanceof ContextError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
