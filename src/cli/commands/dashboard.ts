import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';

export const command = 'dashboard <dirs..>';
export const describe = 'Serve a live web page of the charts and trials of run folders (read-only; follows running searches)';

export function builder(y: Argv) {
  return y
    .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'run folders, or folders holding run folders (e.g. runs/)' })
    .option('port', { type: 'number', requiresArg: true, default: 8765, describe: 'TCP port (0: any free port)' })
    .option('host', {
      type: 'string',
      requiresArg: true,
      default: '127.0.0.1',
      describe: 'address to listen on; anything but loopback needs --token',
    })
    .option('token', {
      type: 'string',
      requiresArg: true,
      describe: 'secret every request must carry (the printed URL has it); required with a non-loopback --host',
    })
    .example('$0 dashboard runs/', 'every run folder under runs/, live, on http://127.0.0.1:8765/')
    .example('$0 dashboard runs/a runs/b --port 8080', 'two runs, to compare them')
    .example('$0 dashboard runs/ --host 0.0.0.0 --token "$(openssl rand -hex 16)"', 'reachable from other machines, with a secret');
}

export async function handler(args: ArgumentsCamelCase<{ dirs: string[]; port: number; host: string; token?: string }>): Promise<void> {
  const port = args.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.option('--port', 'a whole number from 0 to 65535', port);
  if (args.token !== undefined && args.token.length < 8) throw errors.option('--token', 'a secret of at least 8 characters', args.token);
  // Loaded here, not at the top: every command pays for the imports of every command module.
  const { startDashboard } = await import('../../dashboard/server.js');
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dash = await startDashboard({ dirs: args.dirs, host: args.host, port, token: args.token });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw errors.option('--port', 'a free port', port, 'another program listens there: choose another --port, or 0 for any free one');
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw errors.option('--host', 'an address of this machine', args.host);
    if (code === 'EACCES') throw errors.option('--port', 'a port this user may open (1024 and above)', port);
    throw e;
  }
  const runs = dash.watcher.runs();
  process.stderr.write(`evotune: serving ${runs.length} run folder${runs.length === 1 ? '' : 's'} (read-only); Ctrl-C stops\n`);
  process.stdout.write(`${dash.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void dash.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
