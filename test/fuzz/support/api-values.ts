// Values for the string fields of API requests, by field name: the fixtures' IDs and credentials
// (to get past "not found"), well-formed values (to get past validation) and malformed ones
// (long, empty, any code point, paths, PEM look-alikes).
import fc from 'fast-check';
import type { StringsFor } from './proto-inputs.js';
import type { TestCertificate } from '../../support/certificates.js';
import { IDS, anyTopic } from './topic-inputs.js';
import { PASSWORD } from './in-memory-registry-link.js';
import { FOLDER, OPERATION_ID, PASSWORD_IDS } from './api-fixtures.js';

const anything = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', 'a'.repeat(51), 'x'.repeat(1100), '../../etc', 'a/b', '\u0000', '{id}', '$devices', 'null', '-1', '0'),
);
const mostly = (usual: fc.Arbitrary<string>) => fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: anything });

export function stringsFor(certificates: TestCertificate[]): StringsFor {
  const fingerprints = certificates.map((certificate) => certificate.opensslFingerprint);
  const ids = mostly(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(...Object.values(IDS), FOLDER, OPERATION_ID, ...Object.values(PASSWORD_IDS), ...fingerprints),
      },
      { weight: 1, arbitrary: fc.stringMatching(/^are[0-9a-v]{17}$/) },
    ),
  );
  const names = mostly(
    fc.oneof(fc.constantFrom('fuzz-registry', 'fuzz-device', 'fuzz-broker'), fc.stringMatching(/^[a-zA-Z0-9_-]{1,50}$/)),
  );
  // Strong passwords are hashed (scrypt, ~0.1 s): rare, or the target would mostly wait for hashes.
  const passwords = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(PASSWORD, 'An0ther-Passw0rd!') },
    { weight: 3, arbitrary: fc.constantFrom('short', 'alllowercaseletters', '') },
    { weight: 2, arbitrary: anything },
  );
  const pems = mostly(
    fc.oneof(
      fc.constantFrom(...certificates.map((certificate) => certificate.certPem)),
      fc.constantFrom(
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
        `${certificates[0]!.certPem}${certificates[1]!.certPem}`,
        certificates[0]!.keyPem,
        certificates[0]!.certPem.replace('CERTIFICATE', 'X509 CRL'),
      ),
      fc.string({ maxLength: 200 }).map((body) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`),
    ),
  );
  const labelKeys = mostly(fc.stringMatching(/^[a-z][-_0-9a-z]{0,62}$/));
  const labelValues = mostly(fc.stringMatching(/^[-_0-9a-z]{0,63}$/));
  const aliasNames = mostly(fc.constantFrom('home/', 'home', 'h', 'kitchen/', 'a/b/', 'homes/'));
  const aliasTargets = mostly(
    fc
      .tuple(
        fc.constantFrom(`$devices/${IDS.device}`, '$devices/{id}', `$devices/${IDS.otherDevice}`),
        fc.constantFrom('', '/events', '/events/', '/state/x', '/commands'),
      )
      .map(([start, end]) => start + end),
  );
  const maskPaths = mostly(fc.constantFrom('name', 'description', 'labels', 'log_options', 'topic_aliases', 'id', 'folder_id', 'status'));
  const pageTokens = mostly(fc.oneof(fc.constantFrom('', '0', '1', '100', '-5', '1e3'), fc.stringMatching(/^[0-9a-v]{1,20}$/)));
  const topics = mostly(
    fc.oneof(
      fc.constantFrom(
        `$devices/${IDS.device}/events`,
        `$devices/${IDS.device}/commands`,
        `$registries/${IDS.registry}/commands`,
        'home/x',
        'a/b',
      ),
      anyTopic,
    ),
  );
  // A field naming one kind of entity mostly names that fixture.
  const idOf = (id: string) => fc.oneof({ weight: 3, arbitrary: fc.constant(id) }, { weight: 2, arbitrary: ids });
  const table: Array<[RegExp, fc.Arbitrary<string>]> = [
    [/^registry_id$/, idOf(IDS.registry)],
    [/^device_id$/, idOf(IDS.device)],
    [/^broker_id$/, idOf(IDS.broker)],
    [/^folder_id$/, idOf(FOLDER)],
    [/^operation_id$/, idOf(OPERATION_ID)],
    [/(^|_)id$|^username$|^entity_id$/, ids],
    [/name$/, names],
    [/password$/, passwords],
    [/certificate_data$/, pems],
    [
      /fingerprint$/,
      mostly(
        fc.oneof(
          fc.constantFrom(...fingerprints, ...fingerprints.map((fingerprint) => fingerprint.toUpperCase())),
          fc.stringMatching(/^[0-9a-f]{1,50}$/),
        ),
      ),
    ],
    [/^labels\.key$/, labelKeys],
    [/^labels\.value$/, labelValues],
    [/^topic_aliases\.key$|^alias$/, aliasNames],
    [/^topic_aliases\.value$|^topic_prefix$/, aliasTargets],
    [/^paths$/, maskPaths],
    [/page_token$/, pageTokens],
    [/topic|filter$/, topics],
    [/epoch$/, mostly(fc.constantFrom('', 'fuzz', 'epoch-1'))],
  ];
  return (field) => table.find(([pattern]) => pattern.test(field))?.[1] ?? anything;
}
