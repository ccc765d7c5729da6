// `npm run bench -- --rounds N`: throughput on these machines moves by up to ±20% between two runs
// of the same build (the load generator shares the cores with the broker), more than most changes
// are worth. The throughput scenarios then run N times, the brokers taking turns in each round,
// and the table gives each broker's median; the notes list every round's ratio, so the spread is
// in the report next to the figure.
import { MEASUREMENTS, IOTCORE } from './report.js';
import type { Figures } from './scenarios.js';
import { median } from '../statistics.js';

/** Each broker's median of each figure over the rounds that have it (of an even count, the upper middle). */
export function medianFigures(rounds: Array<Record<string, Figures>>): Record<string, Figures> {
  const merged: Record<string, Figures> = {};
  for (const broker of new Set(rounds.flatMap((round) => Object.keys(round)))) {
    const ids = new Set(rounds.flatMap((round) => Object.keys(round[broker] ?? {})));
    merged[broker] = Object.fromEntries(
      [...ids].map((id) => [id, median(rounds.map((round) => round[broker]?.[id]).filter((value) => value !== undefined))]),
    );
  }
  return merged;
}

/** A line per target measurement and baseline measured in more than one round: iotcore's ratio in each. */
export function roundRatioNotes(rounds: Array<Record<string, Figures>>): string[] {
  const lines: string[] = [];
  for (const measurement of MEASUREMENTS) {
    for (const against of new Set((measurement.targets ?? []).map((target) => target.against))) {
      const ratios = rounds
        .map((round) => ({ ours: round[IOTCORE]?.[measurement.id], theirs: round[against]?.[measurement.id] }))
        .filter(({ ours, theirs }) => ours !== undefined && theirs)
        .map(({ ours, theirs }) => `${(ours! / theirs!).toFixed(2)}×`);
      if (ratios.length > 1) lines.push(`- ${measurement.label} ÷ ${against}, round by round: ${ratios.join(', ')}`);
    }
  }
  return lines;
}
