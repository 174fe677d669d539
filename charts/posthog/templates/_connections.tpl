{{/*
Where each data service is: the in-cluster one when enabled, else the external* block.
Every helper takes the root context.
*/}}

{{/* ---------- PostgreSQL ---------- */}}

{{/* The PostgreSQL server itself (migrations talk to it directly, never through pgbouncer). */}}
{{- define "posthog.postgresql.directHost" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "%s-postgresql" (include "posthog.fullname" .) -}}
{{- else -}}
{{- .Values.externalPostgresql.host -}}
{{- end -}}
{{- end -}}

{{- define "posthog.postgresql.directPort" -}}
{{- if .Values.postgresql.enabled -}}5432{{- else -}}{{ .Values.externalPostgresql.port }}{{- end -}}
{{- end -}}

{{/* What the applications connect to: pgbouncer when enabled. */}}
{{- define "posthog.postgresql.host" -}}
{{- if .Values.pgbouncer.enabled -}}
{{- printf "%s-pgbouncer" (include "posthog.fullname" .) -}}
{{- else -}}
{{- include "posthog.postgresql.directHost" . -}}
{{- end -}}
{{- end -}}

{{- define "posthog.postgresql.port" -}}
{{- if .Values.pgbouncer.enabled -}}{{ .Values.pgbouncer.port }}{{- else -}}{{ include "posthog.postgresql.directPort" . }}{{- end -}}
{{- end -}}

{{- define "posthog.postgresql.database" -}}
{{- if .Values.postgresql.enabled -}}{{ .Values.postgresql.auth.database }}{{- else -}}{{ .Values.externalPostgresql.database }}{{- end -}}
{{- end -}}

{{- define "posthog.postgresql.user" -}}
{{- if .Values.postgresql.enabled -}}{{ .Values.postgresql.auth.username }}{{- else -}}{{ .Values.externalPostgresql.user }}{{- end -}}
{{- end -}}

{{- define "posthog.postgresql.secretName" -}}
{{- $existing := ternary .Values.postgresql.auth.existingSecret .Values.externalPostgresql.existingSecret .Values.postgresql.enabled -}}
{{- $existing | default (printf "%s-postgresql" (include "posthog.fullname" .)) -}}
{{- end -}}

{{- define "posthog.postgresql.secretKey" -}}
{{- if and .Values.postgresql.enabled .Values.postgresql.auth.existingSecret -}}
{{- .Values.postgresql.auth.existingSecretPasswordKey -}}
{{- else if and (not .Values.postgresql.enabled) .Values.externalPostgresql.existingSecret -}}
{{- .Values.externalPostgresql.existingSecretPasswordKey -}}
{{- else -}}
postgres-password
{{- end -}}
{{- end -}}

{{/* ---------- Redis ---------- */}}

{{- define "posthog.redis.host" -}}
{{- if .Values.redis.enabled -}}
{{- printf "%s-redis" (include "posthog.fullname" .) -}}
{{- else -}}
{{- .Values.externalRedis.host -}}
{{- end -}}
{{- end -}}

{{- define "posthog.redis.port" -}}
{{- if .Values.redis.enabled -}}6379{{- else -}}{{ .Values.externalRedis.port }}{{- end -}}
{{- end -}}

{{- define "posthog.redis.user" -}}
{{- if not .Values.redis.enabled -}}{{ .Values.externalRedis.user }}{{- end -}}
{{- end -}}

{{/* "true" when Redis asks for a password. */}}
{{- define "posthog.redis.auth" -}}
{{- if .Values.redis.enabled -}}
true
{{- else if or .Values.externalRedis.password .Values.externalRedis.existingSecret -}}
true
{{- end -}}
{{- end -}}

{{- define "posthog.redis.secretName" -}}
{{- $existing := ternary .Values.redis.auth.existingSecret .Values.externalRedis.existingSecret .Values.redis.enabled -}}
{{- $existing | default (printf "%s-redis" (include "posthog.fullname" .)) -}}
{{- end -}}

{{- define "posthog.redis.secretKey" -}}
{{- if and .Values.redis.enabled .Values.redis.auth.existingSecret -}}
{{- .Values.redis.auth.existingSecretPasswordKey -}}
{{- else if and (not .Values.redis.enabled) .Values.externalRedis.existingSecret -}}
{{- .Values.externalRedis.existingSecretPasswordKey -}}
{{- else -}}
redis-password
{{- end -}}
{{- end -}}

{{/* ---------- ClickHouse ---------- */}}

{{- define "posthog.clickhouse.host" -}}
{{- if .Values.clickhouse.enabled -}}
{{- printf "%s-clickhouse" (include "posthog.fullname" .) -}}
{{- else -}}
{{- .Values.externalClickhouse.host -}}
{{- end -}}
{{- end -}}

{{/* The native-protocol port (what the dependency wait checks). */}}
{{- define "posthog.clickhouse.port" -}}
{{- if .Values.clickhouse.enabled -}}9000{{- else -}}{{ .Values.externalClickhouse.port }}{{- end -}}
{{- end -}}

{{- define "posthog.clickhouse.cluster" -}}
{{- if .Values.clickhouse.enabled -}}{{ .Values.clickhouse.cluster }}{{- else -}}{{ .Values.externalClickhouse.cluster }}{{- end -}}
{{- end -}}

{{- define "posthog.clickhouse.database" -}}
{{- if .Values.clickhouse.enabled -}}{{ .Values.clickhouse.database }}{{- else -}}{{ .Values.externalClickhouse.database }}{{- end -}}
{{- end -}}

{{- define "posthog.clickhouse.user" -}}
{{- if .Values.clickhouse.enabled -}}{{ .Values.clickhouse.auth.user }}{{- else -}}{{ .Values.externalClickhouse.user }}{{- end -}}
{{- end -}}

{{- define "posthog.clickhouse.secretName" -}}
{{- $existing := ternary .Values.clickhouse.auth.existingSecret .Values.externalClickhouse.existingSecret .Values.clickhouse.enabled -}}
{{- $existing | default (printf "%s-clickhouse" (include "posthog.fullname" .)) -}}
{{- end -}}

{{- define "posthog.clickhouse.secretKey" -}}
{{- if and .Values.clickhouse.enabled .Values.clickhouse.auth.existingSecret -}}
{{- .Values.clickhouse.auth.existingSecretPasswordKey -}}
{{- else if and (not .Values.clickhouse.enabled) .Values.externalClickhouse.existingSecret -}}
{{- .Values.externalClickhouse.existingSecretPasswordKey -}}
{{- else -}}
clickhouse-password
{{- end -}}
{{- end -}}

{{- define "posthog.clickhouse.secure" -}}
{{- if .Values.clickhouse.enabled -}}false{{- else -}}{{ .Values.externalClickhouse.secure }}{{- end -}}
{{- end -}}

{{- define "posthog.clickhouse.verify" -}}
{{- if .Values.clickhouse.enabled -}}true{{- else -}}{{ .Values.externalClickhouse.verify }}{{- end -}}
{{- end -}}

{{/* ---------- Kafka ---------- */}}

{{/* Bootstrap brokers, comma-separated. */}}
{{- define "posthog.kafka.brokers" -}}
{{- if .Values.kafka.enabled -}}
{{- printf "%s-kafka:9092" (include "posthog.fullname" .) -}}
{{- else -}}
{{- join "," .Values.externalKafka.brokers -}}
{{- end -}}
{{- end -}}

{{- define "posthog.kafka.securityProtocol" -}}
{{- if .Values.kafka.enabled -}}PLAINTEXT{{- else -}}{{ .Values.externalKafka.securityProtocol }}{{- end -}}
{{- end -}}

{{/* "true" when the brokers speak TLS. */}}
{{- define "posthog.kafka.tls" -}}
{{- ternary "true" "false" (hasSuffix "SSL" (include "posthog.kafka.securityProtocol" .)) -}}
{{- end -}}

{{/* "true" when SASL is configured (external Kafka only). */}}
{{- define "posthog.kafka.sasl" -}}
{{- if and (not .Values.kafka.enabled) .Values.externalKafka.sasl.mechanism -}}true{{- end -}}
{{- end -}}

{{- define "posthog.kafka.secretName" -}}
{{- .Values.externalKafka.sasl.existingSecret | default (printf "%s-kafka" (include "posthog.fullname" .)) -}}
{{- end -}}

{{- define "posthog.kafka.secretKey" -}}
{{- if .Values.externalKafka.sasl.existingSecret -}}{{ .Values.externalKafka.sasl.existingSecretPasswordKey }}{{- else -}}kafka-password{{- end -}}
{{- end -}}

{{/* ---------- Object storage ---------- */}}

{{/* "true" when some object storage is configured. */}}
{{- define "posthog.objectStorage.enabled" -}}
{{- if or .Values.minio.enabled .Values.externalObjectStorage.host -}}true{{- end -}}
{{- end -}}

{{- define "posthog.objectStorage.endpoint" -}}
{{- if .Values.minio.enabled -}}
{{- printf "http://%s-minio:9000" (include "posthog.fullname" .) -}}
{{- else -}}
{{- $s := .Values.externalObjectStorage -}}
{{- printf "%s://%s:%v" $s.scheme $s.host $s.port -}}
{{- end -}}
{{- end -}}

{{- define "posthog.objectStorage.bucket" -}}
{{- if .Values.minio.enabled -}}{{ .Values.minio.bucket }}{{- else -}}{{ .Values.externalObjectStorage.bucket }}{{- end -}}
{{- end -}}

{{/* "true" when access keys are passed (MinIO always; external storage unless it uses the pod's cloud identity). */}}
{{- define "posthog.objectStorage.keys" -}}
{{- if .Values.minio.enabled -}}
true
{{- else if or .Values.externalObjectStorage.accessKeyId .Values.externalObjectStorage.existingSecret -}}
true
{{- end -}}
{{- end -}}

{{- define "posthog.objectStorage.secretName" -}}
{{- if .Values.minio.enabled -}}
{{- .Values.minio.auth.existingSecret | default (printf "%s-minio" (include "posthog.fullname" .)) -}}
{{- else -}}
{{- .Values.externalObjectStorage.existingSecret | default (printf "%s-object-storage" (include "posthog.fullname" .)) -}}
{{- end -}}
{{- end -}}

{{- define "posthog.objectStorage.accessKeyKey" -}}
{{- ternary "root-user" "access-key-id" .Values.minio.enabled -}}
{{- end -}}

{{- define "posthog.objectStorage.secretKeyKey" -}}
{{- ternary "root-password" "secret-access-key" .Values.minio.enabled -}}
{{- end -}}

{{/* ---------- PostHog ---------- */}}

{{- define "posthog.secretName" -}}
{{- .Values.posthog.existingSecret | default (include "posthog.fullname" .) -}}
{{- end -}}

{{- define "posthog.secretKey" -}}
{{- if .Values.posthog.existingSecret -}}{{ .Values.posthog.existingSecretKey }}{{- else -}}posthog-secret{{- end -}}
{{- end -}}

{{- define "posthog.siteUrl" -}}
{{- if .Values.posthog.siteUrl -}}
{{- .Values.posthog.siteUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- else -}}
http://localhost:8000
{{- end -}}
{{- end -}}
