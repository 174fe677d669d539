{{/*
Cloud profiles: the defaults `cloud:` picks. Values set explicitly always win.

| cloud        | storage class    | ingress class                       |
|--------------|------------------|-------------------------------------|
| k3s          | local-path       | traefik                             |
| aws          | gp2              | alb (AWS Load Balancer Controller)  |
| gcp          | standard-rwo     | none: annotation kubernetes.io/ingress.class: gce |
| digitalocean | do-block-storage | nginx (ingress-nginx)               |
| azure        | managed-csi      | webapprouting.kubernetes.azure.com  |
| other        | cluster default  | cluster default                     |
*/}}

{{- define "posthog.cloud.storageClass" -}}
{{- $classes := dict "k3s" "local-path" "aws" "gp2" "gcp" "standard-rwo" "digitalocean" "do-block-storage" "azure" "managed-csi" -}}
{{- get $classes .Values.cloud -}}
{{- end -}}

{{- define "posthog.cloud.ingressClass" -}}
{{- $classes := dict "k3s" "traefik" "aws" "alb" "digitalocean" "nginx" "azure" "webapprouting.kubernetes.azure.com" -}}
{{- get $classes .Values.cloud -}}
{{- end -}}

{{/* The profile's ingress annotations, as a dict. */}}
{{- define "posthog.cloud.ingressAnnotations" -}}
{{- $a := dict -}}
{{- if eq .Values.cloud "aws" -}}
{{- $_ := set $a "alb.ingress.kubernetes.io/scheme" "internet-facing" -}}
{{- $_ := set $a "alb.ingress.kubernetes.io/target-type" "ip" -}}
{{- $_ := set $a "alb.ingress.kubernetes.io/healthcheck-path" "/_livez" -}}
{{- if .Values.ingress.tls.enabled -}}
{{- $_ := set $a "alb.ingress.kubernetes.io/listen-ports" "[{\"HTTP\": 80}, {\"HTTPS\": 443}]" -}}
{{- $_ := set $a "alb.ingress.kubernetes.io/ssl-redirect" "443" -}}
{{- end -}}
{{- else if eq .Values.cloud "gcp" -}}
{{- $_ := set $a "kubernetes.io/ingress.class" "gce" -}}
{{- else if eq .Values.cloud "digitalocean" -}}
{{- $_ := set $a "nginx.ingress.kubernetes.io/proxy-body-size" "20m" -}}
{{- else if eq .Values.cloud "azure" -}}
{{- $_ := set $a "nginx.ingress.kubernetes.io/proxy-body-size" "20m" -}}
{{- else if eq .Values.cloud "k3s" -}}
{{- $_ := set $a "traefik.ingress.kubernetes.io/router.entrypoints" (ternary "web,websecure" "web" .Values.ingress.tls.enabled) -}}
{{- end -}}
{{- toYaml $a -}}
{{- end -}}
