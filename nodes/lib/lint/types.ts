import type { FlowIndex } from './flow-index';

export type Severity = 'error' | 'warn';

/** One problem in a flow file, as the CLI prints it with `--format json`. */
export interface Finding {
  rule: string;
  severity: Severity;
  nodeId: string;
  message: string;
}

/** What a rule reports; the engine adds the rule id and severity. */
export interface Report {
  nodeId: string;
  message: string;
}

export interface LintRule {
  /** Stable id, used in config files, `// nrlint <id>:off` comments and the JSON output. */
  id: string;
  severity: Severity;
  description: string;
  check(flows: FlowIndex): Report[];
}
