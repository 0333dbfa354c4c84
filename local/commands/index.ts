import type { Command } from '../cli/command.js';
import { invokeCommand } from './invoke.js';
import { produceCommand } from './produce.js';
import { servicesCommand } from './services.js';
import { startCommand } from './start.js';
import { windowCommand } from './window.js';

/** Every `tributary` subcommand, in the order `--help` lists them. */
export const commands: readonly Command[] = [
  servicesCommand,
  windowCommand,
  invokeCommand,
  startCommand,
  produceCommand,
];
