#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it on the fly so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
// On Node 20 the AWS SDK prints a nine-line notice (its releases after January 2027 need Node 22)
// on every command; the README's prerequisites say it once. The SDK's own switch, unless set.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../local/cli.ts');
process.exitCode = await main(process.argv.slice(2));
