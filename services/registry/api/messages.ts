// Store records → Yandex wire messages. One place knows both shapes, so the services stay thin.
import {
  Registry,
  Registry_Status,
  RegistryCertificate,
  RegistryPassword,
  DeviceAlias,
  DataStreamExport,
  LogOptions,
} from '../../generated/yandex/cloud/iot/devices/v1/registry.js';
import {
  Device,
  Device_Status,
  DeviceCertificate,
  DevicePassword,
  DeviceMonitoringData,
} from '../../generated/yandex/cloud/iot/devices/v1/device.js';
import {
  Broker,
  Broker_Status,
  BrokerCertificate,
  BrokerPassword,
  LogOptions as BrokerLogOptions,
} from '../../generated/yandex/cloud/iot/broker/v1/broker.js';
import type {
  BrokerRecord,
  CertificateRecord,
  DataStreamExportRecord,
  DeviceRecord,
  LogOptionsRecord,
  PasswordRecord,
  RegistryRecord,
} from '../store/records.js';

export function registryMessage(record: RegistryRecord): Registry {
  return Registry.fromPartial({
    id: record.id,
    folder_id: record.folder_id,
    created_at: record.created_at,
    name: record.name,
    description: record.description,
    labels: record.labels,
    status: record.status === 'DISABLED' ? Registry_Status.DISABLED : Registry_Status.ACTIVE,
    log_options: record.log_options ? logOptionsMessage(record.log_options) : undefined,
  });
}

export function deviceMessage(record: DeviceRecord, withMonitoring: boolean): Device {
  return Device.fromPartial({
    id: record.id,
    registry_id: record.registry_id,
    created_at: record.created_at,
    name: record.name,
    description: record.description,
    topic_aliases: record.topic_aliases,
    status: Device_Status.ACTIVE,
    monitoring_data: withMonitoring ? DeviceMonitoringData.fromPartial(record.monitoring) : undefined,
    labels: record.labels,
  });
}

export function brokerMessage(record: BrokerRecord): Broker {
  return Broker.fromPartial({
    id: record.id,
    folder_id: record.folder_id,
    created_at: record.created_at,
    name: record.name,
    description: record.description,
    labels: record.labels,
    status: Broker_Status.ACTIVE,
    log_options: record.log_options ? BrokerLogOptions.fromPartial(logOptionsMessage(record.log_options)) : undefined,
  });
}

export function logOptionsMessage(record: LogOptionsRecord): LogOptions {
  return LogOptions.fromPartial({
    disabled: record.disabled,
    destination: record.destination ? { $case: record.destination.kind, value: record.destination.value } : undefined,
    min_level: record.min_level,
  });
}

export function logOptionsRecord(message: LogOptions | BrokerLogOptions | undefined): LogOptionsRecord | undefined {
  if (!message) return undefined;
  return {
    disabled: message.disabled,
    destination: message.destination ? { kind: message.destination.$case, value: message.destination.value } : undefined,
    min_level: message.min_level,
  };
}

export const registryCertificateMessage = (record: CertificateRecord) =>
  RegistryCertificate.fromPartial({
    registry_id: record.owner_id,
    fingerprint: record.fingerprint,
    certificate_data: record.certificate_data,
    created_at: record.created_at,
  });
export const deviceCertificateMessage = (record: CertificateRecord) =>
  DeviceCertificate.fromPartial({
    device_id: record.owner_id,
    fingerprint: record.fingerprint,
    certificate_data: record.certificate_data,
    created_at: record.created_at,
  });
export const brokerCertificateMessage = (record: CertificateRecord) =>
  BrokerCertificate.fromPartial({
    broker_id: record.owner_id,
    fingerprint: record.fingerprint,
    certificate_data: record.certificate_data,
    created_at: record.created_at,
  });

export const registryPasswordMessage = (record: PasswordRecord) =>
  RegistryPassword.fromPartial({ registry_id: record.owner_id, id: record.id, created_at: record.created_at });
export const devicePasswordMessage = (record: PasswordRecord) =>
  DevicePassword.fromPartial({ device_id: record.owner_id, id: record.id, created_at: record.created_at });
export const brokerPasswordMessage = (record: PasswordRecord) =>
  BrokerPassword.fromPartial({ broker_id: record.owner_id, id: record.id, created_at: record.created_at });

export const deviceAliasMessage = (entry: { device_id: string; alias: string; topic_prefix: string }) => DeviceAlias.fromPartial(entry);

export function dataStreamExportMessage(record: DataStreamExportRecord): DataStreamExport {
  return DataStreamExport.fromPartial({
    id: record.id,
    name: record.name,
    registry_id: record.registry_id,
    mqtt_topic_filter: record.mqtt_topic_filter,
    database: record.database,
    stream: record.stream,
    service_account_id: record.service_account_id,
    created_at: record.created_at,
  });
}
