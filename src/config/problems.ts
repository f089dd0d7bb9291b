/** One problem in a config file: the key path, what is wrong, and where in the file when known. */
export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based position in the YAML file. */
  line?: number;
  col?: number;
}

/** Every problem found in a config file, each with its key path (and line:column when the file is YAML). */
export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `config error: ${p.path || '(root)'}: ${p.message} (in ${source}${p.line ? `:${p.line}:${p.col ?? 1}` : ''})`).join('\n'));
    this.name = 'ConfigError';
  }
}
