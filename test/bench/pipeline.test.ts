import t from 'tap';
import { formatPipelineBench, type PipelineBench } from './pipeline.ts';

const result: PipelineBench = {
  eventsPerSec: 2949, baselineEventsPerSec: 3986, ratio: 0.74, cpuUsPerEvent: 306, baselineCpuUsPerEvent: 224, cpuRatio: 0.73,
  p50Ms: 3.87, p99Ms: 6.93, p90Ms: 5.04, maxMs: 12.89, journalP50Ms: 1.57, journalP99Ms: 3.2, latencySamples: 200, latencyRatePerSec: 20,
  backlog: 5000, concurrency: 4, rounds: 5, duplicates: 0,
  tenthsMs: [394.7, 211.8, 153.6, 169, 141.1, 157.3, 139.2, 130.9, 122.5, 112],
  baselineTenthsMs: [257.3, 142.4, 129.2, 103.4, 124, 106.1, 114.9, 84.7, 91.3, 91.2],
  secondHalfRatio: 0.74,
};

t.test('the pipeline report shows each tenth of the drain for both sides and the second half alone', async (t) => {
  const text = formatPipelineBench(result);
  t.match(text, /smsedge 2949 events\/s\s+bare ofetch loop 3986 events\/s\s+0\.74x/);
  t.match(text, /each tenth of the drain \(ms\): smsedge 394\.7 211\.8 .* 112\s+bare loop 257\.3 .* 91\.2/);
  t.match(text, /the second half alone: 0\.74x/);
  t.notMatch(formatPipelineBench({ ...result, tenthsMs: [], baselineTenthsMs: [] }), /tenth/, 'left out when there are no tenths');
});
