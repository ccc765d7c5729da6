// `npm run bench -- --rounds N` (loadtest/bench/rounds.ts): each broker's figures are the medians of
// the rounds that have them, and the notes give iotcore's ratio to each target's baseline per round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianFigures, roundRatioNotes } from '../../loadtest/bench/rounds.js';
import { AEDES, IOTCORE, MOSQUITTO_AUTH } from '../../loadtest/bench/report.js';
import type { Figures } from '../../loadtest/bench/scenarios.js';

const rounds: Array<Record<string, Figures>> = [
  { [IOTCORE]: { 'b.qos1.rate': 900, 'a.qos1.rate': 10 }, [AEDES]: { 'b.qos1.rate': 1000 }, [MOSQUITTO_AUTH]: { 'b.qos1.rate': 800 } },
  { [IOTCORE]: { 'b.qos1.rate': 1200 }, [AEDES]: { 'b.qos1.rate': 1000 }, [MOSQUITTO_AUTH]: { 'b.qos1.rate': 1500 } },
  { [IOTCORE]: { 'b.qos1.rate': 600, 'a.qos1.rate': 30 }, [AEDES]: { 'b.qos1.rate': 500 }, [MOSQUITTO_AUTH]: { 'b.qos1.rate': 1200 } },
];

test('each figure is the median of the rounds that measured it', () => {
  assert.deepEqual(medianFigures(rounds), {
    // Two rounds measured it: the upper middle, as every repeated benchmark takes it (loadtest/statistics.ts).
    [IOTCORE]: { 'b.qos1.rate': 900, 'a.qos1.rate': 30 },
    [AEDES]: { 'b.qos1.rate': 1000 },
    [MOSQUITTO_AUTH]: { 'b.qos1.rate': 1200 },
  });
  assert.deepEqual(medianFigures([rounds[0]!]), rounds[0]);
});

test("the notes give iotcore's ratio to each target's baseline, round by round", () => {
  // (a) has no baseline figure in any round: no line.
  assert.deepEqual(roundRatioNotes(rounds), [
    '- (b) commands registry → each device, QoS 1 ÷ plain aedes, round by round: 0.90×, 1.20×, 1.20×',
    '- (b) commands registry → each device, QoS 1 ÷ mosquitto with auth, round by round: 1.13×, 0.80×, 0.50×',
  ]);
  assert.deepEqual(roundRatioNotes([rounds[0]!]), [], 'one round: nothing to add to the table');
});
