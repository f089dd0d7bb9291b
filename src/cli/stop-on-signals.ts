/** SIGINT/SIGTERM stop the gateway once, then exit 0 (1 if stopping failed): what process managers expect. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`hlgw: ${signal}, shutting down\n`);
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
