{{- define "demo.name" -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end -}}
