{{/*
One plugin-server Deployment. Takes (dict "root" $ "mode" VALUES_KEY).
*/}}
{{- define "posthog.pluginServer.deployment" -}}
{{- $root := .root -}}
{{- $v := index $root.Values.pluginServer .mode -}}
{{- include "posthog.deployment" (dict
  "root" $root
  "name" (printf "plugins-%s" .mode)
  "component" (printf "plugins-%s" .mode)
  "values" $v
  "image" (include "posthog.appImage" $root)
  "pullPolicy" $root.Values.posthog.image.pullPolicy
  "serviceAccount" (include "posthog.serviceAccountName" $root)
  "podSecurityContext" $root.Values.posthog.podSecurityContext
  "containerSecurityContext" $root.Values.posthog.containerSecurityContext
  "container" (include "posthog.pluginServer.container" (dict "root" $root "values" $v "serverMode" $v.serverMode))
  "initContainers" (include "posthog.initContainers.waitForMigrations" (dict "root" $root "values" $v))
  "volumes" ""
  "podAnnotations" (dict "checksum/secrets" (include "posthog.checksum.secrets" $root))
  "terminationGracePeriodSeconds" 60
) }}
{{- end -}}

{{- define "posthog.pluginServer.container" -}}
{{- $root := .root -}}
command:
  - ./bin/plugin-server
  - --no-restart-loop
ports:
  - name: health
    containerPort: 6738
    protocol: TCP
env:
  - name: PLUGIN_SERVER_MODE
    value: {{ .serverMode | quote }}
  {{- include "posthog.env.app" (dict "root" $root "values" .values "direct" false) | nindent 2 }}
{{- $health := dict "httpGet" (dict "path" "/_health" "port" "health") }}
{{- include "posthog.probes" (dict "probes" .values.probes "startup" $health "liveness" $health "readiness" $health) | nindent 0 }}
{{- end -}}
