{{/* ClickHouse Keeper configuration. */}}

{{/* The data of the keeper ConfigMap; its pods hash it to restart on a change. */}}
{{- define "posthog.keeper.configData" -}}
{{- $domain := printf "%s.%s.svc.%s" (include "posthog.keeper.headless" .) .Release.Namespace .Values.clusterDomain -}}
keeper_config.xml: |
  <clickhouse>
      <listen_host>0.0.0.0</listen_host>
      <logger>
          <level>information</level>
          <console>1</console>
      </logger>
      <keeper_server>
          <tcp_port>9181</tcp_port>
          <server_id from_env="KEEPER_SERVER_ID"/>
          <log_storage_path>/var/lib/clickhouse-keeper/coordination/log</log_storage_path>
          <snapshot_storage_path>/var/lib/clickhouse-keeper/coordination/snapshots</snapshot_storage_path>
          <coordination_settings>
              <operation_timeout_ms>10000</operation_timeout_ms>
              <session_timeout_ms>30000</session_timeout_ms>
              <raft_logs_level>warning</raft_logs_level>
          </coordination_settings>
          <http_control>
              <port>9182</port>
              <readiness>
                  <endpoint>/ready</endpoint>
              </readiness>
          </http_control>
          <raft_configuration>
              {{- range $i := until (int .Values.clickhouse.keeper.replicaCount) }}
              <server>
                  <id>{{ add $i 1 }}</id>
                  <hostname>{{ include "posthog.keeper.name" $ }}-{{ $i }}.{{ $domain }}</hostname>
                  <port>9234</port>
              </server>
              {{- end }}
          </raft_configuration>
      </keeper_server>
  </clickhouse>
start.sh: |
  #!/bin/sh
  # Raft server ids start at 1; the pod ordinal at 0.
  set -eu
  KEEPER_SERVER_ID=$(( ${POD_NAME##*-} + 1 ))
  export KEEPER_SERVER_ID
  exec /usr/bin/clickhouse-keeper --config-file=/etc/clickhouse-keeper/keeper_config.xml
{{- end -}}
