{{/*
The Rust capture service, in events mode (capture) or recordings mode (replay capture). Takes
(dict "root" $ "key" VALUES_KEY "name" NAME "mode" CAPTURE_MODE "topic" KAFKA_TOPIC "overflowTopic" TOPIC).
*/}}
{{- define "posthog.capture.deployment" -}}
{{- $root := .root -}}
{{- $v := index $root.Values .key -}}
{{- $targets := list (printf "%s:%s" (include "posthog.redis.host" $root) (include "posthog.redis.port" $root)) (first (splitList "," (include "posthog.kafka.brokers" $root))) -}}
{{- include "posthog.deployment" (dict
  "root" $root
  "name" .name
  "component" .name
  "values" $v
  "image" (include "posthog.image" (dict "root" $root "image" $v.image))
  "pullPolicy" $v.image.pullPolicy
  "serviceAccount" (include "posthog.serviceAccountName" $root)
  "podSecurityContext" $v.podSecurityContext
  "containerSecurityContext" $v.containerSecurityContext
  "container" (include "posthog.capture.container" (dict "root" $root "values" $v "mode" .mode "topic" .topic "overflowTopic" .overflowTopic))
  "initContainers" (include "posthog.initContainers.waitForServices" (dict "root" $root "targets" $targets))
  "volumes" (printf "- name: scripts\n  configMap:\n    name: %s-scripts" (include "posthog.fullname" $root))
  "podAnnotations" (dict "checksum/secrets" (include "posthog.checksum.secrets" $root))
  "terminationGracePeriodSeconds" 30
) }}
{{- end -}}

{{- define "posthog.capture.container" -}}
{{- $root := .root -}}
ports:
  - name: http
    containerPort: 3000
    protocol: TCP
env:
  - name: ADDRESS
    value: "0.0.0.0:3000"
  - name: CAPTURE_MODE
    value: {{ .mode | quote }}
  - name: KAFKA_HOSTS
    value: {{ include "posthog.kafka.brokers" $root | quote }}
  - name: KAFKA_TLS
    value: {{ include "posthog.kafka.tls" $root | quote }}
  - name: KAFKA_TOPIC
    value: {{ .topic | quote }}
  {{- if eq .mode "events" }}
  - name: KAFKA_OVERFLOW_TOPIC
    value: {{ .overflowTopic | quote }}
  - name: KAFKA_HISTORICAL_TOPIC
    value: "events_plugin_ingestion_historical"
  - name: OVERFLOW_ENABLED
    value: {{ .values.overflowEnabled | default false | toString | quote }}
  {{- else }}
  - name: KAFKA_REPLAY_OVERFLOW_TOPIC
    value: {{ .overflowTopic | quote }}
  {{- end }}
  {{- include "posthog.env.redis" $root | nindent 2 }}
  - name: EXPORT_PROMETHEUS
    value: "true"
  {{- with .values.env }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- /* Never point probes at a capture with PRINT_SINK: it reports itself not live. */ -}}
{{- include "posthog.probes" (dict
  "probes" .values.probes
  "startup" (dict "httpGet" (dict "path" "/_liveness" "port" "http"))
  "liveness" (dict "httpGet" (dict "path" "/_liveness" "port" "http"))
  "readiness" (dict "httpGet" (dict "path" "/_readiness" "port" "http"))) | nindent 0 }}
{{- end -}}
