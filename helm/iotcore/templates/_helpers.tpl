{{/* vim: set filetype=mustache: */}}

{{- define "iotcore.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name prefix of every resource. Kept at most 40 characters so that suffixes such as
"-edge-metrics" still fit the 63-character limit of Service names.
*/}}
{{- define "iotcore.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "iotcore.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "iotcore.selectorLabels" -}}
app.kubernetes.io/name: {{ include "iotcore.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Usage: include "iotcore.labels" (dict "root" $ "component" "edge") */}}
{{- define "iotcore.labels" -}}
helm.sh/chart: {{ include "iotcore.chart" .root }}
{{ include "iotcore.selectorLabels" . }}
app.kubernetes.io/part-of: iotcore
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "iotcore.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "iotcore.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "iotcore.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "iotcore.authSecretName" -}}
{{- default (printf "%s-auth" (include "iotcore.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* Secret holding externally configured data store URLs (created only when a url is set). */}}
{{- define "iotcore.datastoreSecretName" -}}
{{- printf "%s-datastores" (include "iotcore.fullname" .) -}}
{{- end -}}

{{- define "iotcore.tlsSecretName" -}}
{{- default (printf "%s-mqtt-tls" (include "iotcore.fullname" .)) .Values.tls.secretName -}}
{{- end -}}

{{- define "iotcore.apiTlsSecretName" -}}
{{- default (printf "%s-api-tls" (include "iotcore.fullname" .)) .Values.registry.apiTls.secretName -}}
{{- end -}}

{{- define "iotcore.registryServiceName" -}}
{{- printf "%s-registry" (include "iotcore.fullname" .) -}}
{{- end -}}

{{- define "iotcore.mongoServiceName" -}}
{{- printf "%s-mongo" (include "iotcore.fullname" .) -}}
{{- end -}}

{{- define "iotcore.redisServiceName" -}}
{{- printf "%s-redis" (include "iotcore.fullname" .) -}}
{{- end -}}

{{/* Fails rendering early, with a readable message, on combinations the schema cannot express. */}}
{{- define "iotcore.validate" -}}
{{- if not (or .Values.mongo.bundled.enabled .Values.mongo.url .Values.mongo.existingSecret) -}}
{{- fail "MongoDB is required: set mongo.url, mongo.existingSecret or mongo.bundled.enabled=true" -}}
{{- end -}}
{{- if not (or .Values.redis.bundled.enabled .Values.redis.url .Values.redis.existingSecret) -}}
{{- fail "Redis is required: set redis.url, redis.existingSecret or redis.bundled.enabled=true" -}}
{{- end -}}
{{- $drain := add .Values.edge.preStopSleepSeconds .Values.edge.drainDeadlineSeconds -}}
{{- if le (int .Values.edge.terminationGracePeriodSeconds) (int $drain) -}}
{{- fail (printf "edge.terminationGracePeriodSeconds (%d) must exceed edge.preStopSleepSeconds + edge.drainDeadlineSeconds (%d)" (int .Values.edge.terminationGracePeriodSeconds) (int $drain)) -}}
{{- end -}}
{{- if lt (int .Values.edge.drainDeadlineSeconds) (int .Values.edge.drainSeconds) -}}
{{- fail "edge.drainDeadlineSeconds must be at least edge.drainSeconds" -}}
{{- end -}}
{{- if and .Values.edge.autoscaling.enabled (gt (int .Values.edge.autoscaling.minReplicas) (int .Values.edge.autoscaling.maxReplicas)) -}}
{{- fail "edge.autoscaling.minReplicas must not exceed edge.autoscaling.maxReplicas" -}}
{{- end -}}
{{- if and .Values.edge.autoscaling.enabled (not .Values.edge.autoscaling.targetCPUUtilizationPercentage) (not .Values.edge.autoscaling.connections.enabled) -}}
{{- fail "edge.autoscaling needs targetCPUUtilizationPercentage or connections.enabled" -}}
{{- end -}}
{{- $ports := list (int .Values.edge.mqtt.port) (int .Values.httpPort) -}}
{{- if .Values.edge.plaintext.enabled }}{{ $ports = append $ports (int .Values.edge.plaintext.port) }}{{ end -}}
{{- if .Values.edge.wss.enabled }}{{ $ports = append $ports (int .Values.edge.wss.port) }}{{ end -}}
{{- if and (eq .Values.registry.apiTls.mode "secret") (not .Values.registry.apiTls.secretName) -}}
{{- fail "registry.apiTls.secretName is required when registry.apiTls.mode=secret" -}}
{{- end -}}
{{- if ne (len $ports) (len (uniq $ports)) -}}
{{- fail "edge MQTT ports and httpPort must all differ" -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by both roles. */}}
{{- define "iotcore.commonEnv" -}}
- name: IOTCORE_DATA_DIR
  value: /data
- name: IOTCORE_HTTP_LISTEN
  value: {{ printf "0.0.0.0:%d" (int .Values.httpPort) | quote }}
- name: IOTCORE_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.idPrefix }}
- name: IOTCORE_ID_PREFIX
  value: {{ . | quote }}
{{- end }}
- name: IOTCORE_MONGO_URL
{{- if .Values.mongo.bundled.enabled }}
  value: {{ printf "mongodb://%s:27017/?directConnection=true" (include "iotcore.mongoServiceName" .) | quote }}
{{- else if .Values.mongo.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.mongo.existingSecret }}
      key: {{ .Values.mongo.existingSecretKey }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ include "iotcore.datastoreSecretName" . }}
      key: mongo-url
{{- end }}
- name: IOTCORE_MONGO_DB
  value: {{ .Values.mongo.database | quote }}
{{- end -}}

{{/*
Bounds on a persistent session's queue, for the edges and for the registry replicas, which store
the data-plane API's messages for offline sessions too.
*/}}
{{- define "iotcore.sessionQueueEnv" -}}
- name: IOTCORE_MAX_QUEUED_MESSAGES
  value: {{ .Values.edge.limits.maxQueuedMessages | int64 | quote }}
- name: IOTCORE_MAX_QUEUED_BYTES
  value: {{ .Values.edge.limits.maxQueuedBytes | int64 | quote }}
{{- end }}

{{- define "iotcore.redisEnv" -}}
- name: IOTCORE_REDIS_URL
{{- if .Values.redis.bundled.enabled }}
  value: {{ printf "redis://%s:6379" (include "iotcore.redisServiceName" .) | quote }}
{{- else if .Values.redis.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ include "iotcore.datastoreSecretName" . }}
      key: redis-url
{{- end }}
{{- end -}}

{{/*
Export to Kafka, on the edges and the registry replicas (each exports the messages it accepts);
included only with kafka.brokers. The CA is the kafka-ca volume, mounted only with kafka.tlsCaSecret.
*/}}
{{- define "iotcore.kafkaEnv" -}}
{{- $kafka := .Values.kafka -}}
- name: IOTCORE_KAFKA_BROKERS
  value: {{ $kafka.brokers | quote }}
- name: IOTCORE_KAFKA_SECURITY
  value: {{ $kafka.security | quote }}
{{- if $kafka.tlsCaSecret }}
- name: IOTCORE_KAFKA_TLS_CA
  value: /etc/iotcore/kafka-ca/ca.crt
{{- end }}
{{- if hasPrefix "SASL_" $kafka.security }}
- name: IOTCORE_KAFKA_SASL_MECHANISM
  value: {{ $kafka.sasl.mechanism | quote }}
- name: IOTCORE_KAFKA_SASL_USERNAME
  value: {{ $kafka.sasl.username | quote }}
{{- with $kafka.sasl.existingSecret }}
- name: IOTCORE_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $kafka.sasl.existingSecretKey }}
{{- end }}
{{- end }}
- name: IOTCORE_EXPORT_BACKLOG_RECORDS
  value: {{ $kafka.backlogRecords | int64 | quote }}
- name: IOTCORE_EXPORT_BACKLOG_BYTES
  value: {{ $kafka.backlogBytes | int64 | quote }}
{{- end -}}

{{/* Triggers to HTTP: the queue bound (edges and registry replicas) and the delivery settings (registry). */}}
{{- define "iotcore.triggerEnv" -}}
- name: IOTCORE_TRIGGER_BACKLOG_MESSAGES
  value: {{ .Values.triggers.backlogMessages | int64 | quote }}
- name: IOTCORE_TRIGGER_REQUEST_TIMEOUT_MS
  value: {{ .Values.triggers.requestTimeoutMs | int64 | quote }}
- name: IOTCORE_TRIGGER_CLAIM_IDLE_MS
  value: {{ .Values.triggers.claimIdleMs | int64 | quote }}
{{- end -}}

{{/* Checksum that rolls the pods when chart-managed secrets or config change. */}}
{{- define "iotcore.configChecksum" -}}
{{- $parts := list .Values.auth .Values.mongo .Values.redis .Values.tls .Values.registry.apiTls .Values.logLevel .Values.idPrefix -}}
{{- toJson $parts | sha256sum | trunc 16 -}}
{{- end -}}
