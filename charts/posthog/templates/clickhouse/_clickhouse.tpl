{{/* ClickHouse and Keeper names. */}}

{{- define "posthog.clickhouse.name" -}}
{{- printf "%s-clickhouse" (include "posthog.fullname" .) -}}
{{- end -}}

{{- define "posthog.clickhouse.headless" -}}
{{- printf "%s-clickhouse-headless" (include "posthog.fullname" .) -}}
{{- end -}}

{{/* The StatefulSet of shard N. Takes (list $ N). */}}
{{- define "posthog.clickhouse.shardName" -}}
{{- printf "%s-clickhouse-shard%d" (include "posthog.fullname" (index . 0)) (int (index . 1)) -}}
{{- end -}}

{{- define "posthog.keeper.name" -}}
{{- printf "%s-keeper" (include "posthog.fullname" .) -}}
{{- end -}}

{{- define "posthog.keeper.headless" -}}
{{- printf "%s-keeper-headless" (include "posthog.fullname" .) -}}
{{- end -}}

{{/* The <shard> elements of a remote_servers cluster. Takes (list $ SHARD_COUNT). */}}
{{- define "posthog.clickhouse.remoteShards" -}}
{{- $root := index . 0 -}}
{{- $domain := printf "%s.%s.svc.%s" (include "posthog.clickhouse.headless" $root) $root.Release.Namespace $root.Values.clusterDomain -}}
{{- range $s := until (int (index . 1)) }}
<shard>
    <internal_replication>true</internal_replication>
    {{- range $r := until (int $root.Values.clickhouse.replicasPerShard) }}
    <replica>
        <host>{{ include "posthog.clickhouse.shardName" (list $root $s) }}-{{ $r }}.{{ $domain }}</host>
        <port>9000</port>
        <user>{{ $root.Values.clickhouse.auth.user }}</user>
        <password from_env="CLICKHOUSE_PASSWORD"/>
    </replica>
    {{- end }}
</shard>
{{- end }}
{{- end -}}

{{/* The data of the clickhouse ConfigMap; its pods hash it to restart on a change. */}}
{{- define "posthog.clickhouse.configData" -}}
{{- $ch := .Values.clickhouse -}}
{{- $keeperDomain := printf "%s.%s.svc.%s" (include "posthog.keeper.headless" .) .Release.Namespace .Values.clusterDomain -}}
posthog.xml: |
  <clickhouse>
      <http_port>8123</http_port>
      <tcp_port>9000</tcp_port>
      <interserver_http_port>9009</interserver_http_port>
      <!-- Replicas fetch parts from each other by this name, the pod's DNS name. -->
      <interserver_http_host from_env="CLICKHOUSE_INTERSERVER_HOST"/>
      <logger>
          <level>information</level>
          <console>1</console>
          <log remove="remove"/>
          <errorlog remove="remove"/>
      </logger>
      <macros>
          <cluster>{{ $ch.cluster }}</cluster>
          <shard from_env="CLICKHOUSE_SHARD"/>
          <replica from_env="POD_NAME"/>
      </macros>
      <remote_servers replace="replace">
          {{- range $name := prepend $ch.clusterAliases $ch.cluster }}
          <{{ $name }}>
              {{- include "posthog.clickhouse.remoteShards" (list $ (int $ch.shards)) | trim | nindent 14 }}
          </{{ $name }}>
          {{- end }}
          <{{ $ch.singleShardCluster }}>
              {{- include "posthog.clickhouse.remoteShards" (list $ 1) | trim | nindent 14 }}
          </{{ $ch.singleShardCluster }}>
      </remote_servers>
      <zookeeper>
          {{- range $i := until (int $ch.keeper.replicaCount) }}
          <node>
              <host>{{ include "posthog.keeper.name" $ }}-{{ $i }}.{{ $keeperDomain }}</host>
              <port>9181</port>
          </node>
          {{- end }}
      </zookeeper>
      <distributed_ddl>
          <path>/clickhouse/task_queue/ddl</path>
      </distributed_ddl>
  </clickhouse>
users.xml: |
  <clickhouse>
      <users>
          <!-- The built-in user keeps no password, so it may connect only from the pod itself. -->
          <default>
              <networks replace="replace">
                  <ip>::1</ip>
                  <ip>127.0.0.1</ip>
              </networks>
          </default>
          <{{ $ch.auth.user }}>
              <password from_env="CLICKHOUSE_PASSWORD"/>
              <networks>
                  <ip>::/0</ip>
              </networks>
              <profile>default</profile>
              <quota>default</quota>
              <access_management>1</access_management>
          </{{ $ch.auth.user }}>
      </users>
  </clickhouse>
{{- end -}}
