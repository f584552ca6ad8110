/** Runs one benchmark section (named on the command line) and prints its figures. */
import { SECTIONS } from './sections';

async function main(): Promise<void> {
  const name = process.argv[2];
  const section = SECTIONS[name];
  if (!section) throw new Error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const figures = await section();
  for (const [key, value] of Object.entries(figures)) {
    // Ratios below 1 keep three decimals (0.054, not 0.05).
    console.log(`${key}: ${Number.isInteger(value) ? value : value.toFixed(Math.abs(value) < 1 ? 3 : 2)}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
