/**
 * Forked by the benchmark at start (processes.ts): holds the ids of the processes the bench started and is
 * not the parent's own Node helpers (the bridge, SIPp), and ends them if the bench goes away without doing so
 * (killed with SIGKILL, crashed). The bench tells it each id as it starts a process and forgets it when that
 * process exits, so it never signals an id the system has given to someone else.
 */
const watched = new Set<number>();

process.on('message', (m: { watch?: number; unwatch?: number }) => {
  if (m.watch !== undefined) watched.add(m.watch);
  if (m.unwatch !== undefined) watched.delete(m.unwatch);
});

process.once('disconnect', () => {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      watched.delete(pid); // already gone
    }
  };
  for (const pid of watched) signal(pid, 'SIGTERM');
  if (watched.size === 0) process.exit(0);
  setTimeout(() => {
    for (const pid of watched) signal(pid, 'SIGKILL');
    process.exit(0);
  }, 3000);
});
