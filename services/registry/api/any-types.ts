// The message types an Operation's `Any` fields can hold, for whoever reads them: the REST gateway
// writes them as JSON, the audit trail takes IDs from their metadata.
import { createRegistry, type DescFile, type DescService, type Registry } from '@bufbuild/protobuf';
import { file_google_protobuf_empty } from '@bufbuild/protobuf/wkt';

/**
 * Every message type an Operation of these services can carry in its `Any` fields (metadata and
 * response types live in the services' files and their imports; Delete answers google.protobuf.Empty).
 */
export function anyTypes(services: readonly DescService[]): Registry {
  const files = new Set<DescFile>([file_google_protobuf_empty]);
  const add = (file: DescFile) => {
    if (files.has(file)) return;
    files.add(file);
    file.dependencies.forEach(add);
  };
  for (const service of services) add(service.file);
  return createRegistry(...files);
}
