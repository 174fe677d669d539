{{/*
The stateless components that get a HorizontalPodAutoscaler and a PodDisruptionBudget, as a
list of (dict "name" OBJECT_SUFFIX "path" VALUES_PATH "values" COMPONENT_VALUES), enabled ones only, in a
fixed order. Returned as JSON: (include ... | fromJsonArray).
*/}}
{{- define "posthog.statelessComponents" -}}
{{- $c := list -}}
{{- $c = append $c (dict "name" "web" "path" "web" "values" .Values.web) -}}
{{- $c = append $c (dict "name" "worker" "path" "worker" "values" .Values.worker) -}}
{{- range $mode := list "ingestion" "async" "jobs" "scheduler" "recordings" -}}
{{- $c = append $c (dict "name" (printf "plugins-%s" $mode) "path" (printf "pluginServer.%s" $mode) "values" (index $.Values.pluginServer $mode)) -}}
{{- end -}}
{{- $c = append $c (dict "name" "capture" "path" "capture" "values" .Values.capture) -}}
{{- $c = append $c (dict "name" "replay-capture" "path" "replayCapture" "values" .Values.replayCapture) -}}
{{- $c = append $c (dict "name" "feature-flags" "path" "featureFlags" "values" .Values.featureFlags) -}}
{{- $c = append $c (dict "name" "property-defs" "path" "propertyDefs" "values" .Values.propertyDefs) -}}
{{- $c = append $c (dict "name" "pgbouncer" "path" "pgbouncer" "values" .Values.pgbouncer) -}}
{{- $enabled := list -}}
{{- range $c -}}
{{- if .values.enabled -}}
{{- $enabled = append $enabled . -}}
{{- end -}}
{{- end -}}
{{- toJson $enabled -}}
{{- end -}}
