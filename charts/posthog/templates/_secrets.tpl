{{/* The Secrets the chart creates, as a JSON list of (dict "name" "component" "data"). secrets.yaml renders them; pods hash them (posthog.checksum.secrets) to restart when a password changes. */}}
{{- define "posthog.secrets" -}}
{{- $fullname := include "posthog.fullname" . -}}
{{- $secrets := list }}
{{- if not .Values.posthog.existingSecret }}
{{- $secrets = append $secrets (dict "name" $fullname "component" "posthog" "data" (dict "posthog-secret" .Values.posthog.secretKey)) }}
{{- end }}
{{- if .Values.postgresql.enabled }}
{{- if not .Values.postgresql.auth.existingSecret }}
{{- $secrets = append $secrets (dict "name" (printf "%s-postgresql" $fullname) "component" "postgresql" "data" (dict "postgres-password" .Values.postgresql.auth.password)) }}
{{- end }}
{{- else if and .Values.externalPostgresql.password (not .Values.externalPostgresql.existingSecret) }}
{{- $secrets = append $secrets (dict "name" (printf "%s-postgresql" $fullname) "component" "postgresql" "data" (dict "postgres-password" .Values.externalPostgresql.password)) }}
{{- end }}
{{- if .Values.clickhouse.enabled }}
{{- if not .Values.clickhouse.auth.existingSecret }}
{{- $secrets = append $secrets (dict "name" (printf "%s-clickhouse" $fullname) "component" "clickhouse" "data" (dict "clickhouse-password" .Values.clickhouse.auth.password)) }}
{{- end }}
{{- else if and .Values.externalClickhouse.password (not .Values.externalClickhouse.existingSecret) }}
{{- $secrets = append $secrets (dict "name" (printf "%s-clickhouse" $fullname) "component" "clickhouse" "data" (dict "clickhouse-password" .Values.externalClickhouse.password)) }}
{{- end }}
{{- if .Values.redis.enabled }}
{{- if not .Values.redis.auth.existingSecret }}
{{- $secrets = append $secrets (dict "name" (printf "%s-redis" $fullname) "component" "redis" "data" (dict "redis-password" .Values.redis.auth.password)) }}
{{- end }}
{{- else if and .Values.externalRedis.password (not .Values.externalRedis.existingSecret) }}
{{- $secrets = append $secrets (dict "name" (printf "%s-redis" $fullname) "component" "redis" "data" (dict "redis-password" .Values.externalRedis.password)) }}
{{- end }}
{{- if and (include "posthog.kafka.sasl" .) .Values.externalKafka.sasl.password (not .Values.externalKafka.sasl.existingSecret) }}
{{- $secrets = append $secrets (dict "name" (printf "%s-kafka" $fullname) "component" "kafka" "data" (dict "kafka-password" .Values.externalKafka.sasl.password)) }}
{{- end }}
{{- if .Values.minio.enabled }}
{{- if not .Values.minio.auth.existingSecret }}
{{- $secrets = append $secrets (dict "name" (printf "%s-minio" $fullname) "component" "minio" "data" (dict "root-user" .Values.minio.auth.rootUser "root-password" .Values.minio.auth.rootPassword)) }}
{{- end }}
{{- else if and .Values.externalObjectStorage.host .Values.externalObjectStorage.accessKeyId (not .Values.externalObjectStorage.existingSecret) }}
{{- $secrets = append $secrets (dict "name" (printf "%s-object-storage" $fullname) "component" "object-storage" "data" (dict "access-key-id" .Values.externalObjectStorage.accessKeyId "secret-access-key" .Values.externalObjectStorage.secretAccessKey)) }}
{{- end }}
{{- toJson $secrets -}}
{{- end -}}

{{- define "posthog.checksum.secrets" -}}
{{- include "posthog.secrets" . | sha256sum -}}
{{- end -}}
