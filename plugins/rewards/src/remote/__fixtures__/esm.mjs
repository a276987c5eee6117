// An ES module reward: 1 when the completion ends with a full stop.
export default async function endsWithStop(samples) {
  return samples.map((s) => (s.completion.trim().endsWith('.') ? 1 : 0));
}
export const shout = (samples) => samples.map((s) => (s.completion === s.completion.toUpperCase() ? 1 : 0));
