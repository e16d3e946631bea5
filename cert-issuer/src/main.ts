import { parseCommand, usage } from './config.ts';
import { randomBytes } from 'node:crypto';
import { loadConnection, podNamespace, readCas } from './connection.ts';
import { ExitCode, IssuerError } from './errors.ts';
import { recordRun } from './events.ts';
import { ensure } from './flow.ts';
import { Kube } from './kube-api.ts';
import { createLogger } from './log.ts';
import { describe } from './retry.ts';
import { systemClock } from './system-clock.ts';

/** The CLI: every failure ends as one line and an exit code, never a stack trace. */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let command;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    if (!(error instanceof IssuerError)) throw error;
    process.stderr.write(`cert-issuer: ${error.message}\n`);
    return error.exitCode;
  }
  if (command.command === 'help') {
    process.stdout.write(usage);
    return ExitCode.ok;
  }

  const { config } = command;
  const log = createLogger(config.logFormat, (line) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const deadline = started + config.timeoutSeconds * 1000;
  const who = { namespace: podNamespace(config), runName: config.runName, commonName: config.commonName };
  let kube: Kube | undefined;
  const record = (result: unknown) => (kube ? recordRun(kube, log, who, result, new Date(), randomBytes(4).toString('hex')) : Promise.resolve());
  try {
    const connection = await loadConnection(config);
    kube = new Kube(connection, {
      ...systemClock,
      deadline,
      onRetry: (error, attempt, waitMs) => log.warn('retry', describe(error), { attempt, waitMs }),
    });
    log.info('start', 'ensuring the client certificate', {
      commonName: config.commonName,
      secret: config.secretName,
      namespaces: config.namespaces.join(','),
      signer: config.signerName,
    });
    const outcome = await ensure({ kube, config, ...readCas(config, connection), log, clock: systemClock, deadline });
    log.info('done', 'every namespace holds a valid certificate', { durationMs: Date.now() - started });
    await record(outcome);
    return ExitCode.ok;
  } catch (error) {
    const exitCode = error instanceof IssuerError ? error.exitCode : ExitCode.internal;
    log.error('exit', error instanceof IssuerError ? error.message : `internal error: ${describe(error)}`, { exitCode });
    await record(error);
    return exitCode;
  }
}

// Exit at once with the run's code: nothing still pending (a watch being torn down) may delay it.
main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cert-issuer: internal error: ${describe(error)}\n`);
    process.exit(ExitCode.internal);
  },
);
