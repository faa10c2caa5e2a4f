// latency-probe: a chaosrt plugin in JavaScript. It sends N GET requests to one URL, one after the
// other, and returns latency percentiles, so an experiment's tolerance can judge the p99 while a
// fault is injected. `fetch` goes through wasi:http: the host checks each request (and each
// redirect) against the plugin's grant before it connects.

import { log } from 'chaosrt:plugin/log@0.2.0';

const LATENCY = {
  name: 'latency',
  kind: 'probe',
  description: 'GET a URL `requests` times in sequence; return the latency percentiles in milliseconds',
  arguments: [
    { name: 'url', type: 'string', required: true, description: 'The URL to measure (http or https)' },
    { name: 'requests', type: 'integer', required: false, default: '10', description: 'How many requests (1 to 1000)' },
    {
      name: 'percentiles', type: 'list', required: false, default: '[50, 90, 99]',
      description: 'Which percentiles to report, each between 0 and 100',
    },
    {
      name: 'follow_redirects', type: 'boolean', required: false, default: 'false',
      description: 'Time each request to its final response, following up to 5 redirects (as curl -L)',
    },
  ],
};

const MAX_REDIRECTS = 5;

class Failure {
  constructor(tag, message) {
    this.payload = { tag, val: message };
  }
}

/** The nearest-rank percentile `p` of sorted `values`. */
function percentile(sorted, p) {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

function parse(text) {
  const args = JSON.parse(text);
  const { url } = args;
  const requests = args.requests ?? 10;
  const percentiles = args.percentiles ?? [50, 90, 99];
  const follow = args.follow_redirects ?? false;
  if (typeof follow !== 'boolean') throw new Failure('invalid-arguments', 'argument `follow_redirects` must be a boolean');
  if (typeof url !== 'string') throw new Failure('invalid-arguments', 'argument `url` must be a string');
  if (!Number.isInteger(requests) || requests < 1 || requests > 1000) {
    throw new Failure('invalid-arguments', 'argument `requests` must be an integer from 1 to 1000');
  }
  if (!Array.isArray(percentiles) || !percentiles.every((p) => typeof p === 'number' && p >= 0 && p <= 100)) {
    throw new Failure('invalid-arguments', 'argument `percentiles` must be a list of numbers from 0 to 100');
  }
  return { url, requests, percentiles, follow };
}

/** One GET, and with `follow` the redirects after it (the engine's fetch does not follow them). */
async function get(url, follow) {
  let target = url;
  for (let hop = 0; ; hop++) {
    const response = await fetch(target, { redirect: 'manual' });
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (!follow || response.status < 300 || response.status > 399 || location === null) return response;
    if (hop === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    target = new URL(location, target).href;
  }
}

async function measure({ url, requests, percentiles, follow }) {
  const took = [];
  const statuses = {};
  for (let i = 0; i < requests; i++) {
    const start = performance.now();
    let response;
    try {
      response = await get(url, follow);
    } catch (e) {
      // A refused origin (a redirect elsewhere, say) and a refused connection both end here; the
      // host adds what it refused to the error.
      throw new Failure('failed', `request ${i + 1} to ${url} failed: ${e}`);
    }
    took.push(performance.now() - start);
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  }
  const sorted = [...took].sort((a, b) => a - b);
  const round = (ms) => Math.round(ms * 1000) / 1000;
  const result = { requests, statuses, min_ms: round(sorted[0]), max_ms: round(sorted[sorted.length - 1]), percentiles_ms: {} };
  for (const p of percentiles) result.percentiles_ms[`p${p}`] = round(percentile(sorted, p));
  log('debug', `${requests} requests to ${url}: ${JSON.stringify(result.percentiles_ms)}`);
  return result;
}

export const plugin = {
  metadata() {
    return {
      name: 'latency-probe',
      version: '0.1.0',
      description: 'Latency percentiles over N sequential GET requests (JavaScript)',
      // The origin of the URL each call names in `url`, as the experiment wrote it.
      capabilities: [{ tag: 'http-argument', val: 'url' }],
      activities: [LATENCY],
    };
  },

  async invoke(activity, argumentsJson) {
    if (activity !== LATENCY.name) throw new Failure('unknown-activity', activity);
    return JSON.stringify(await measure(parse(argumentsJson)));
  },
};
