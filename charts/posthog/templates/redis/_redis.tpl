{{/* Redis configuration. */}}

{{/* The data of the redis ConfigMap; its pods hash it to restart on a change. */}}
{{- define "posthog.redis.configData" -}}
redis.conf: |
  bind 0.0.0.0
  port 6379
  dir /data
  appendonly yes
  appendfsync everysec
  maxmemory {{ .Values.redis.maxMemory }}
  maxmemory-policy {{ .Values.redis.maxMemoryPolicy }}
  # The password, written at start from the Secret (see start.sh).
  include /tmp/auth.conf
start.sh: |
  #!/bin/sh
  # Writes requirepass from the environment so the password is in no manifest or argv.
  set -eu
  escaped=$(printf '%s' "$REDIS_PASSWORD" | sed 's/[\\"]/\\&/g')
  printf 'requirepass "%s"\n' "$escaped" > /tmp/auth.conf
  exec redis-server /config/redis.conf
{{- end -}}
