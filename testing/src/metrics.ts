/** One scrape of a service's `/metrics`, parsed from the Prometheus text format. */
export interface MetricsScrape {
  readonly text: string;
  /**
   * The sum of every sample of `name` whose labels include `labels`
   * (0 when none matches), e.g. value('shop_saga_outcomes_total', { outcome: 'CONFIRMED' }).
   */
  value(name: string, labels?: Record<string, string>): number;
  /** Whether any sample of `name` exists. */
  has(name: string): boolean;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export async function scrapeMetrics(origin: string): Promise<MetricsScrape> {
  const response = await fetch(`${origin}/metrics`);
  if (!response.ok) throw new Error(`GET ${origin}/metrics answered HTTP ${response.status}`);
  const text = await response.text();
  const samples = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .flatMap((line) => {
      const match = SAMPLE.exec(line);
      if (!match) return [];
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map(([, key, value]) => [key, value]));
      return [{ name: match[1]!, labels, value: Number(match[3]) }];
    });
  return {
    text,
    value: (name, wanted = {}) =>
      samples
        .filter((sample) => sample.name === name && Object.entries(wanted).every(([key, value]) => sample.labels[key] === value))
        .reduce((sum, sample) => sum + sample.value, 0),
    has: (name) => samples.some((sample) => sample.name === name),
  };
}
