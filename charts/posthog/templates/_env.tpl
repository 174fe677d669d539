{{/*
Environment variables. Passwords always come from Secrets (secretKeyRef), never inline values.
Connection URLs that need a password are composed with Kubernetes' $(VAR) expansion from a
variable defined earlier in the same list, so the rendered manifest never holds the password.
*/}}

{{/* A secretKeyRef env var. Takes (list NAME SECRET KEY). */}}
{{- define "posthog.env.secret" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 }}
      key: {{ index . 2 }}
{{- end -}}

{{/* Redis: host, port, password (when any), and REDIS_URL built from them. */}}
{{- define "posthog.env.redis" -}}
- name: POSTHOG_REDIS_HOST
  value: {{ include "posthog.redis.host" . | quote }}
- name: POSTHOG_REDIS_PORT
  value: {{ include "posthog.redis.port" . | quote }}
{{- if include "posthog.redis.auth" . }}
{{ include "posthog.env.secret" (list "POSTHOG_REDIS_PASSWORD" (include "posthog.redis.secretName" .) (include "posthog.redis.secretKey" .)) }}
- name: REDIS_URL
  value: {{ printf "redis://%s:$(POSTHOG_REDIS_PASSWORD)@$(POSTHOG_REDIS_HOST):$(POSTHOG_REDIS_PORT)/" (include "posthog.redis.user" .) | quote }}
{{- else }}
- name: REDIS_URL
  value: "redis://$(POSTHOG_REDIS_HOST):$(POSTHOG_REDIS_PORT)/"
{{- end }}
{{- end -}}

{{/* PostgreSQL for Django and the plugin-server. Takes (dict "root" $ "direct" BOOL): direct bypasses pgbouncer (migrations). */}}
{{- define "posthog.env.postgresql" -}}
{{- $root := .root -}}
{{- $viaBouncer := and $root.Values.pgbouncer.enabled (not .direct) -}}
- name: POSTHOG_POSTGRES_HOST
  value: {{ ternary (include "posthog.postgresql.host" $root) (include "posthog.postgresql.directHost" $root) $viaBouncer | quote }}
- name: POSTHOG_POSTGRES_PORT
  value: {{ ternary (include "posthog.postgresql.port" $root) (include "posthog.postgresql.directPort" $root) $viaBouncer | quote }}
- name: POSTHOG_DB_NAME
  value: {{ include "posthog.postgresql.database" $root | quote }}
- name: POSTHOG_DB_USER
  value: {{ include "posthog.postgresql.user" $root | quote }}
{{ include "posthog.env.secret" (list "POSTHOG_DB_PASSWORD" (include "posthog.postgresql.secretName" $root) (include "posthog.postgresql.secretKey" $root)) }}
- name: USING_PGBOUNCER
  value: {{ ternary "true" "false" $viaBouncer | quote }}
{{- if $viaBouncer }}
- name: POSTHOG_POSTGRES_DIRECT_HOST
  value: {{ include "posthog.postgresql.directHost" $root | quote }}
- name: POSTHOG_POSTGRES_DIRECT_PORT
  value: {{ include "posthog.postgresql.directPort" $root | quote }}
{{- end }}
{{- end -}}

{{/* PostgreSQL URLs for the Rust services, which read only URLs. Takes (list $ (list VAR_NAME ...)). */}}
{{- define "posthog.env.databaseUrls" -}}
{{- $root := index . 0 -}}
{{ include "posthog.env.secret" (list "POSTHOG_DB_PASSWORD" (include "posthog.postgresql.secretName" $root) (include "posthog.postgresql.secretKey" $root)) }}
{{- range index . 1 }}
- name: {{ . }}
  value: {{ printf "postgres://%s:$(POSTHOG_DB_PASSWORD)@%s:%s/%s" (include "posthog.postgresql.user" $root) (include "posthog.postgresql.host" $root) (include "posthog.postgresql.port" $root) (include "posthog.postgresql.database" $root) | quote }}
{{- end }}
{{- end -}}

{{/* Kafka for Django and the plugin-server. */}}
{{- define "posthog.env.kafka" -}}
- name: KAFKA_HOSTS
  value: {{ include "posthog.kafka.brokers" . | quote }}
- name: SESSION_RECORDING_KAFKA_HOSTS
  value: {{ include "posthog.kafka.brokers" . | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ include "posthog.kafka.securityProtocol" . | quote }}
{{- if include "posthog.kafka.sasl" . }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .Values.externalKafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USER
  value: {{ .Values.externalKafka.sasl.user | quote }}
{{ include "posthog.env.secret" (list "KAFKA_SASL_PASSWORD" (include "posthog.kafka.secretName" .) (include "posthog.kafka.secretKey" .)) }}
{{- end }}
{{- end -}}

{{/* ClickHouse. */}}
{{- define "posthog.env.clickhouse" -}}
- name: CLICKHOUSE_HOST
  value: {{ include "posthog.clickhouse.host" . | quote }}
- name: CLICKHOUSE_CLUSTER
  value: {{ include "posthog.clickhouse.cluster" . | quote }}
- name: CLICKHOUSE_DATABASE
  value: {{ include "posthog.clickhouse.database" . | quote }}
- name: CLICKHOUSE_USER
  value: {{ include "posthog.clickhouse.user" . | quote }}
{{ include "posthog.env.secret" (list "CLICKHOUSE_PASSWORD" (include "posthog.clickhouse.secretName" .) (include "posthog.clickhouse.secretKey" .)) }}
- name: CLICKHOUSE_SECURE
  value: {{ include "posthog.clickhouse.secure" . | quote }}
- name: CLICKHOUSE_VERIFY
  value: {{ include "posthog.clickhouse.verify" . | quote }}
{{- end -}}

{{/* Object storage (MinIO or external S3). */}}
{{- define "posthog.env.objectStorage" -}}
{{- if include "posthog.objectStorage.enabled" . }}
- name: OBJECT_STORAGE_ENABLED
  value: "true"
- name: OBJECT_STORAGE_ENDPOINT
  value: {{ include "posthog.objectStorage.endpoint" . | quote }}
- name: OBJECT_STORAGE_BUCKET
  value: {{ include "posthog.objectStorage.bucket" . | quote }}
{{- if not .Values.minio.enabled }}
- name: OBJECT_STORAGE_REGION
  value: {{ .Values.externalObjectStorage.region | quote }}
{{- end }}
{{- if include "posthog.objectStorage.keys" . }}
{{ include "posthog.env.secret" (list "OBJECT_STORAGE_ACCESS_KEY_ID" (include "posthog.objectStorage.secretName" .) (include "posthog.objectStorage.accessKeyKey" .)) }}
{{ include "posthog.env.secret" (list "OBJECT_STORAGE_SECRET_ACCESS_KEY" (include "posthog.objectStorage.secretName" .) (include "posthog.objectStorage.secretKeyKey" .)) }}
{{- end }}
{{- else }}
- name: OBJECT_STORAGE_ENABLED
  value: "false"
{{- end }}
{{- end -}}

{{/* Everything a posthog/posthog container needs. Takes (dict "root" $ "values" COMPONENT_VALUES "direct" BOOL). */}}
{{- define "posthog.env.app" -}}
{{- $root := .root -}}
{{ include "posthog.env.secret" (list "SECRET_KEY" (include "posthog.secretName" $root) (include "posthog.secretKey" $root)) }}
- name: SITE_URL
  value: {{ include "posthog.siteUrl" $root | quote }}
- name: DEPLOYMENT
  value: {{ $root.Values.posthog.deployment | default (printf "helm_%s" $root.Values.cloud) | quote }}
- name: IS_BEHIND_PROXY
  value: {{ ternary "true" "false" $root.Values.ingress.enabled | quote }}
- name: LOGGING_FORMATTER_NAME
  value: json
{{ include "posthog.env.postgresql" (dict "root" $root "direct" .direct) | trim }}
{{ include "posthog.env.redis" $root | trim }}
{{ include "posthog.env.kafka" $root | trim }}
{{ include "posthog.env.clickhouse" $root | trim }}
{{ include "posthog.env.objectStorage" $root | trim }}
{{- with $root.Values.posthog.env }}
{{ toYaml . }}
{{- end }}
{{- with .values.env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The init containers of pods that need the schema: wait until every migration has run. Takes (dict "root" $ "values" COMPONENT_VALUES). */}}
{{- define "posthog.initContainers.waitForMigrations" -}}
{{- $root := .root -}}
- name: wait-for-migrations
  # no-probes: init containers run to completion; Kubernetes allows no probes on them.
  image: {{ include "posthog.appImage" $root }}
  imagePullPolicy: {{ $root.Values.posthog.image.pullPolicy }}
  command:
    - /bin/sh
    - -c
    - |
      until ./bin/migrate-check; do
        echo "waiting for the migrations Job to finish"
        sleep 10
      done
  env:
    {{- include "posthog.env.app" (dict "root" $root "values" (dict) "direct" true) | nindent 4 }}
  resources:
    {{- toYaml $root.Values.posthog.initResources | nindent 4 }}
  securityContext:
    {{- include "posthog.containerSecurityContext" $root.Values.posthog.containerSecurityContext | nindent 4 }}
{{- end -}}

{{/* An init container that waits until TCP endpoints answer. Takes (dict "root" $ "targets" (list "host:port" ...)). */}}
{{- define "posthog.initContainers.waitForServices" -}}
{{- $root := .root -}}
- name: wait-for-services
  # no-probes: init containers run to completion; Kubernetes allows no probes on them.
  image: {{ include "posthog.appImage" $root }}
  imagePullPolicy: {{ $root.Values.posthog.image.pullPolicy }}
  command:
    - python
    - /scripts/wait-for.py
  env:
    - name: WAIT_FOR
      value: {{ join " " .targets | quote }}
    - name: WAIT_TIMEOUT_SECONDS
      value: "900"
  volumeMounts:
    - name: scripts
      mountPath: /scripts
      readOnly: true
  resources:
    {{- toYaml $root.Values.posthog.initResources | nindent 4 }}
  securityContext:
    {{- include "posthog.containerSecurityContext" $root.Values.posthog.containerSecurityContext | nindent 4 }}
{{- end -}}

{{/* The data services a PostHog pod depends on, as host:port. */}}
{{- define "posthog.dependencyTargets" -}}
{{- $t := list (printf "%s:%s" (include "posthog.postgresql.directHost" .) (include "posthog.postgresql.directPort" .)) -}}
{{- $t = append $t (printf "%s:%s" (include "posthog.redis.host" .) (include "posthog.redis.port" .)) -}}
{{- $t = append $t (printf "%s:%s" (include "posthog.clickhouse.host" .) (include "posthog.clickhouse.port" .)) -}}
{{- $t = append $t (first (splitList "," (include "posthog.kafka.brokers" .))) -}}
{{- join " " $t -}}
{{- end -}}
