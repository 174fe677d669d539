{{/*
The shapes every Deployment, StatefulSet and PersistentVolumeClaim of the chart share.
*/}}

{{/*
A Deployment. Takes a dict:
  root                      the root context
  name                      object name suffix ("<fullname>-<name>")
  component                 app.kubernetes.io/component
  values                    the component's values (replicaCount, resources, autoscaling, ...)
  image, pullPolicy         the main container's image
  serviceAccount            ServiceAccount name
  podSecurityContext        values for posthog.podSecurityContext
  containerSecurityContext  values for posthog.containerSecurityContext
  container                 YAML of the main container's command, env, ports, probes, mounts
  initContainers            YAML list, or ""
  volumes                   YAML list, or ""
  podAnnotations            dict of annotations (checksums)
  terminationGracePeriodSeconds  optional
  recreate                  true: stop the old pod before starting the new one (singletons)
*/}}
{{- define "posthog.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $sel := dict "root" $root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "posthog.fullname" $root }}-{{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "posthog.labels" $sel | nindent 4 }}
spec:
  {{- if not (dig "autoscaling" "enabled" false $v) }}
  replicas: {{ int64 $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "posthog.selectorLabels" $sel | nindent 6 }}
  strategy:
    {{- if .recreate }}
    type: Recreate
    {{- else }}
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
    {{- end }}
  template:
    metadata:
      labels:
        {{- include "posthog.podLabels" (dict "root" $root "component" .component "values" $v) | nindent 8 }}
      {{- $annotations := merge (dict) ($v.podAnnotations | default dict) (.podAnnotations | default dict) }}
      {{- with $annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ .serviceAccount }}
      automountServiceAccountToken: false
      {{- with .terminationGracePeriodSeconds }}
      terminationGracePeriodSeconds: {{ int64 . }}
      {{- end }}
      securityContext:
        {{- include "posthog.podSecurityContext" .podSecurityContext | nindent 8 }}
      {{- with (include "posthog.podScheduling" (dict "root" $root "component" .component "values" $v)) }}
      {{- . | trim | nindent 6 }}
      {{- end }}
      {{- with .initContainers }}
      initContainers:
        {{- . | trim | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ .image }}
          imagePullPolicy: {{ .pullPolicy }}
          {{- .container | nindent 10 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "posthog.containerSecurityContext" .containerSecurityContext | nindent 12 }}
      {{- with .volumes }}
      volumes:
        {{- . | trim | nindent 8 }}
      {{- end }}
{{- end -}}

{{/*
The volumeClaimTemplates of every StatefulSet: one claim named "data", with a spec that no
value changes. volumeClaimTemplates are immutable, so a values change here would make
`helm upgrade` fail. The chart instead creates each replica's claim itself
(posthog.persistentVolumeClaims, same name as the StatefulSet controller would give it); the
controller adopts an existing claim of that name and uses this template only to name it. Size,
storage class and access modes therefore live on those claims, where a size can grow.
*/}}
{{- define "posthog.volumeClaimTemplates" -}}
volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      name: data
    spec:
      accessModes:
        - ReadWriteOnce
      resources:
        requests:
          storage: 1Gi
{{- end -}}

{{/*
The PersistentVolumeClaims of a StatefulSet's replicas, "data-<statefulset>-<ordinal>". Kept on
`helm uninstall` (resource-policy: keep) so data outlives the release. Takes (dict "root" $
"statefulset" NAME "component" LABEL "replicas" N "persistence" PERSISTENCE_VALUES).
*/}}
{{- define "posthog.persistentVolumeClaims" -}}
{{- $ctx := . -}}
{{- range $i := until (int .replicas) }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-{{ $ctx.statefulset }}-{{ $i }}
  namespace: {{ $ctx.root.Release.Namespace }}
  labels:
    {{- include "posthog.labels" (dict "root" $ctx.root "component" $ctx.component) | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
spec:
  accessModes:
    {{- toYaml $ctx.persistence.accessModes | nindent 4 }}
  {{- $class := include "posthog.storageClass" (dict "root" $ctx.root "persistence" $ctx.persistence) }}
  {{- if eq $class "-" }}
  storageClassName: ""
  {{- else if $class }}
  storageClassName: {{ $class }}
  {{- end }}
  resources:
    requests:
      storage: {{ $ctx.persistence.size }}
{{- end }}
{{- end -}}

{{/* A headless Service for a StatefulSet's stable pod names. Takes (dict "root" $ "name" NAME "component" LABEL "ports" (list (dict "name" N "port" P) ...)). */}}
{{- define "posthog.headlessService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "posthog.labels" (dict "root" .root "component" .component) | nindent 4 }}
spec:
  type: ClusterIP
  clusterIP: None
  # Peers must resolve each other before they are ready (Raft quorum, replication).
  publishNotReadyAddresses: true
  selector:
    {{- include "posthog.selectorLabels" (dict "root" .root "component" .component) | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ int64 .port }}
      targetPort: {{ .name }}
      protocol: TCP
    {{- end }}
{{- end -}}

{{/* A ClusterIP (or other type) Service. Takes (dict "root" $ "name" NAME "component" LABEL "type" TYPE "annotations" DICT "ports" (list (dict "name" N "port" P "targetPort" T) ...)). */}}
{{- define "posthog.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "posthog.labels" (dict "root" .root "component" .component) | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .type | default "ClusterIP" }}
  selector:
    {{- include "posthog.selectorLabels" (dict "root" .root "component" .component) | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ int64 .port }}
      targetPort: {{ .targetPort | default .name }}
      protocol: TCP
    {{- end }}
{{- end -}}
