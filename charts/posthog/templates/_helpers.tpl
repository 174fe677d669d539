{{/*
Names, labels, images, security contexts, probes and pod scheduling shared by every workload.

Upgrade safety: selector labels (posthog.selectorLabels) hold only the chart name, the release
name and the component. They never carry the chart version or anything a values file can
change, so no `helm upgrade` alters a Deployment or StatefulSet selector.
*/}}

{{/* The prefix of every object name: at most 30 characters (see values.yaml). */}}
{{- define "posthog.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 30 | trimSuffix "-" -}}
{{- else if contains "posthog" .Release.Name -}}
{{- .Release.Name | trunc 30 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-posthog" .Release.Name | trunc 30 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels in selectors and pod templates: fixed per release and component. Takes (dict "root" $ "component" NAME). */}}
{{- define "posthog.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels of every object's metadata. Takes (dict "root" $ "component" NAME). */}}
{{- define "posthog.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "posthog.selectorLabels" . }}
app.kubernetes.io/part-of: posthog
app.kubernetes.io/version: {{ .root.Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.global.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of a pod template: the selector labels, part-of, and the component's podLabels. Takes (dict "root" $ "component" NAME "values" COMPONENT_VALUES). */}}
{{- define "posthog.podLabels" -}}
{{ include "posthog.selectorLabels" . }}
app.kubernetes.io/part-of: posthog
{{- with .values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* An image reference. Takes (dict "root" $ "image" IMAGE_VALUES). The digest wins over the tag. */}}
{{- define "posthog.image" -}}
{{- $registry := .root.Values.global.imageRegistry | default .image.registry -}}
{{- $repo := .image.repository -}}
{{- if $registry -}}
{{- $repo = printf "%s/%s" $registry .image.repository -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The posthog/posthog image. */}}
{{- define "posthog.appImage" -}}
{{- include "posthog.image" (dict "root" . "image" .Values.posthog.image) -}}
{{- end -}}

{{/* ServiceAccount names. */}}
{{- define "posthog.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "posthog.fullname" .) -}}
{{- end -}}
{{- define "posthog.dataServiceAccountName" -}}
{{- .Values.dataServiceAccount.name | default (printf "%s-data" (include "posthog.fullname" .)) -}}
{{- end -}}

{{/* A pod securityContext: always non-root with the runtime's seccomp profile. Takes the component's podSecurityContext values. */}}
{{- define "posthog.podSecurityContext" -}}
runAsNonRoot: true
{{- if not (kindIs "invalid" .runAsUser) }}
runAsUser: {{ int64 .runAsUser }}
{{- end }}
{{- if not (kindIs "invalid" .runAsGroup) }}
runAsGroup: {{ int64 .runAsGroup }}
{{- end }}
{{- if not (kindIs "invalid" .fsGroup) }}
fsGroup: {{ int64 .fsGroup }}
fsGroupChangePolicy: OnRootMismatch
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* A container securityContext: non-root, no privilege escalation, every capability dropped. Takes the component's containerSecurityContext values. */}}
{{- define "posthog.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: {{ .readOnlyRootFilesystem }}
capabilities:
  drop:
    - ALL
{{- end -}}

{{/* The three probes of a container. Takes (dict "probes" PROBE_TIMINGS "startup" HANDLER "liveness" HANDLER "readiness" HANDLER); a handler is a map such as (dict "httpGet" (dict "path" "/x" "port" "http")). */}}
{{- define "posthog.probes" -}}
startupProbe:
  {{- toYaml (merge (deepCopy .startup) .probes.startup) | nindent 2 }}
livenessProbe:
  {{- toYaml (merge (deepCopy .liveness) .probes.liveness) | nindent 2 }}
readinessProbe:
  {{- toYaml (merge (deepCopy .readiness) .probes.readiness) | nindent 2 }}
{{- end -}}

{{/* An HTTP GET probe handler. Takes (list PATH PORT). */}}
{{- define "posthog.httpGet" -}}
{{- toYaml (dict "httpGet" (dict "path" (index . 0) "port" (index . 1))) -}}
{{- end -}}

{{/* Topology spread: the component's own constraints, else the global soft spread. Takes (dict "root" $ "component" NAME "values" COMPONENT_VALUES). */}}
{{- define "posthog.topologySpread" -}}
{{- if .values.topologySpreadConstraints -}}
topologySpreadConstraints:
  {{- toYaml .values.topologySpreadConstraints | nindent 2 }}
{{- else if .root.Values.global.topologySpread.enabled -}}
{{- $spread := .root.Values.global.topologySpread -}}
topologySpreadConstraints:
{{- range $spread.topologyKeys }}
  - maxSkew: {{ int64 $spread.maxSkew }}
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "posthog.selectorLabels" $ | nindent 8 }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* Scheduling and pull settings of a pod spec. Takes (dict "root" $ "component" NAME "values" COMPONENT_VALUES). */}}
{{- define "posthog.podScheduling" -}}
{{- with .root.Values.global.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $spread := include "posthog.topologySpread" . }}
{{- if $spread }}
{{ $spread }}
{{- end }}
{{- end -}}

{{/* A Kubernetes quantity ("20Gi", "500M", "1073741824") in bytes. */}}
{{- define "posthog.bytes" -}}
{{- $q := toString . -}}
{{- $units := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "k" 1000 -}}
{{- $number := regexFind "^[0-9]+" $q -}}
{{- $suffix := trimPrefix $number $q -}}
{{- if $suffix -}}
{{- mul (int64 $number) (get $units $suffix) -}}
{{- else -}}
{{- int64 $number -}}
{{- end -}}
{{- end -}}

{{/* The storage class of a PersistentVolumeClaim: the component's, else global, else the cloud profile's; "-" means "" (no dynamic provisioning); empty means the cluster default. Takes (dict "root" $ "persistence" PERSISTENCE_VALUES). */}}
{{- define "posthog.storageClass" -}}
{{- .persistence.storageClass | default .root.Values.global.storageClass | default (include "posthog.cloud.storageClass" .root) -}}
{{- end -}}
