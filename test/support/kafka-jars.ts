// Provisions the Apache Kafka broker for the tests: the jars of `org.apache.kafka:kafka_2.13` and
// their runtime dependencies, resolved by Maven from Maven Central into .tools/kafka-<version>/libs
// (Kafka's own download site is not reachable here, Maven Central is). Run with Java 17.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KAFKA_JARS, KAFKA_VERSION } from './tools.js';

/** log4j-core's version in Kafka's dependencies; the SLF4J binding must match it. */
const LOG4J_VERSION = '2.25.5';

// Kafka's Scala code logs through SLF4J 1.7, which the Maven artifacts leave unbound (the binary
// distribution adds the binding): without it the broker prints nothing, not even that it started.
const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>iotcore.test</groupId>
  <artifactId>kafka-server-jars</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;

/** Fetches the jars unless a complete set for this POM is already there. */
export function ensureKafkaJars(): void {
  const stampFile = path.join(path.dirname(KAFKA_JARS), 'stamp');
  if (existsSync(KAFKA_JARS) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === POM) return;
  console.log(
    `provision: fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${path.dirname(KAFKA_JARS)} (first run only)`,
  );
  // Its own POM and local repository in a temporary directory: nothing is left in ~/.m2.
  const work = mkdtempSync(path.join(os.tmpdir(), 'iotcore-kafka-jars-'));
  try {
    writeFileSync(path.join(work, 'pom.xml'), POM);
    const incoming = path.join(work, 'libs');
    execFileSync(
      'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        `-Dmaven.repo.local=${path.join(work, 'repository')}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${incoming}`,
      ],
      { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (!existsSync(path.join(incoming, `kafka_2.13-${KAFKA_VERSION}.jar`)))
      throw new Error(`kafka_2.13-${KAFKA_VERSION}.jar was not resolved`);
    // Copied next to its place and renamed into it, so an interrupted fetch never leaves a partial
    // set behind (/tmp and .tools/ may be different file systems).
    const target = path.dirname(KAFKA_JARS);
    const partial = `${target}.partial`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(incoming, path.join(partial, path.basename(KAFKA_JARS)), { recursive: true });
    writeFileSync(path.join(partial, 'stamp'), POM);
    rmSync(target, { recursive: true, force: true });
    renameSync(partial, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
