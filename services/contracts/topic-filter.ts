// MQTT topic filter matching (§4.7), shared by the edge's routing and by the rules the registry
// stores for the edges to apply (data stream exports, triggers). Both arguments already valid.

/** Standard MQTT matching: `+` one level, a trailing `#` any number of levels, its parent included. */
export function filterMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let index = 0; index < filterLevels.length; index++) {
    const level = filterLevels[index];
    if (level === '#') return true;
    if (index >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[index]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
