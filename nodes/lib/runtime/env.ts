/** Node-RED's own rule for config values: a whole-value `${NAME}` reference is replaced by the variable's value. */
const ENV_REFERENCE = /^\$\{(\S+)\}$/;

export function substituteEnv(value: string | undefined, lookup: (name: string) => string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = ENV_REFERENCE.exec(value);
  if (!match) return value;
  return lookup(match[1]) ?? value;
}
